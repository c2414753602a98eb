#!/usr/bin/env bash
# The README's main command: set up .venv/ (once; later runs reuse it) and run the
# demo. Extra arguments go to the demo script.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tools/setup_env.sh
exec .venv/bin/python tools/demo_backbones.py "$@"
