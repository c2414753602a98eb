#!/usr/bin/env bash
# The README's test command: set up .venv/ (once; later runs reuse it) and run the
# whole test suite. Extra arguments go to pytest, e.g. `bash tools/run_tests.sh -k v1`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tools/setup_env.sh
exec .venv/bin/python -m pytest tests "$@"
