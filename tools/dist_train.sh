#!/usr/bin/env bash
# Multi-process training: bash tools/dist_train.sh CONFIG GPUS [train.py args...]
# GPUS processes on this machine, one per GPU. Without a GPU it starts GPUS CPU
# processes and tools/train.py switches them to the gloo backend.
# Environment: PORT (29500), NNODES (1), NODE_RANK (0), MASTER_ADDR (127.0.0.1),
# PYTHON (python: the interpreter that has the project installed).
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: $0 CONFIG GPUS [tools/train.py arguments...]" >&2
    exit 2
fi
CONFIG=$1
GPUS=$2
TOOLS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# `python -m torch.distributed.run` is torchrun, run by the chosen interpreter.
PYTHONPATH="$TOOLS/..${PYTHONPATH:+:$PYTHONPATH}" \
exec "${PYTHON:-python}" -m torch.distributed.run \
    --nnodes="${NNODES:-1}" \
    --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" \
    --master_port="${PORT:-29500}" \
    --nproc_per_node="$GPUS" \
    "$TOOLS/train.py" "$CONFIG" --launcher pytorch "${@:3}"
