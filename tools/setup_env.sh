#!/usr/bin/env bash
# Create or reuse the project's virtual environment at .venv/ and install the pinned
# stack into it (requirements/*.txt). Safe to run again: when nothing it depends on has
# changed it returns in about a second without touching the environment.
#
#   bash tools/setup_env.sh            # set up .venv/ (what the README's commands do)
#   SB_PYTHON=/path/to/python bash tools/setup_env.sh
#                                      # install into an existing environment instead,
#                                      # keeping the torch already there (e.g. CUDA torch)
#   SB_TORCH=2.15.0 bash tools/setup_env.sh
#                                      # another torch than the pinned one (CI's,
#                                      # requirements/torch.txt): installs
#                                      # requirements/torch-2.15.0.txt; with SB_PYTHON too,
#                                      # into that environment (replacing its torch)
#
# The compiled mmcv wheel is cached under $SB_CACHE_DIR (default
# ~/.cache/shufflenet_backbones) in a folder named after the Python, torch and CUDA it
# was built against, so a rebuild happens only when one of those changes.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

die() {
    echo "setup_env: ERROR: $1" >&2
    [ $# -gt 1 ] && echo "setup_env: what to do: $2" >&2
    exit 1
}
say() { echo "setup_env: $*"; }

MMCV_VERSION="$(grep -E '^mmcv==' requirements/mmcv.txt | cut -d= -f3)"
CACHE_DIR="${SB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/shufflenet_backbones}"

# --isolated: ignore the machine's pip configuration (it may point at a local
# torch+cpu wheel that torchvision cannot load); the package index is the source.
pip_install() { "$PY" -m pip install --isolated --disable-pip-version-check "$@"; }

# Which torch: the pinned one (requirements/torch.txt, what CI runs) unless SB_TORCH names
# another release with its own requirements/torch-<version>.txt (torch + a torchvision that
# loads with it; that pairing has to be checked by hand, so there is no free choice).
if [ -z "${SB_TORCH:-}" ] || grep -qxF "torch==${SB_TORCH}" requirements/torch.txt; then
    TORCH_REQ=requirements/torch.txt
else
    TORCH_REQ="requirements/torch-${SB_TORCH}.txt"
    [ -f "$TORCH_REQ" ] || die "no requirements file for torch ${SB_TORCH} ($TORCH_REQ)" \
        "use one of: $(grep -h '^torch==' requirements/torch*.txt | cut -d= -f3 | tr '\n' ' ')(or leave SB_TORCH unset for the pinned one)"
fi
TORCH_PIN="$(grep -E '^torch==' "$TORCH_REQ" | cut -d= -f3)"

if [ -n "${SB_PYTHON:-}" ]; then
    PY="$SB_PYTHON"
    OWN_ENV=0
else
    PY="$REPO_ROOT/.venv/bin/python"
    OWN_ENV=1
fi

# Everything that decides what gets installed; a change to any of it re-runs the setup.
# The chosen torch file is part of it: SB_TORCH=... on an up-to-date environment must re-run.
FINGERPRINT="$({ cat requirements/*.txt tools/setup_env.sh setup.cfg setup.py; echo "$TORCH_REQ"; } | sha256sum | cut -d' ' -f1)"
STAMP_DIR="$("${PY}" -c 'import sys; print(sys.prefix)' 2>/dev/null || true)"
STAMP="${STAMP_DIR:-/nonexistent}/.shufflenet_backbones_setup"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$FINGERPRINT" ]; then
    say "environment up to date ($STAMP_DIR)"
    exit 0
fi

# ---------------------------------------------------------------- preconditions
command -v python3 >/dev/null || die "python3 not found" "install Python 3.8-3.11 with venv and headers (Debian: apt-get install python3 python3-venv python3-dev)"
CXX_BIN="$(command -v c++ || command -v g++ || true)"
[ -n "$CXX_BIN" ] || die "no C++ compiler found (mmcv's ops are compiled from source)" "install one, e.g. 'apt-get install g++'"

if [ "$OWN_ENV" = 1 ] && [ ! -x "$PY" ]; then
    say "creating virtual environment .venv/"
    python3 -m venv .venv || die "could not create .venv/" "install the venv module (Debian: apt-get install python3-venv)"
fi
"$PY" -c 'import sysconfig, os, sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
    || die "Python headers (Python.h) not found for $PY" "install them (Debian: apt-get install python3-dev)"

# ---------------------------------------------------------------- torch
if [ "$OWN_ENV" = 0 ] && [ -z "${SB_TORCH:-}" ] && "$PY" -c 'import torch, torchvision' 2>/dev/null; then
    say "keeping the torch already installed: $("$PY" -c 'import torch; print(torch.__version__)')"
else
    # An mmcv compiled against another torch would still import and then fail or crash in
    # its ops, and the mmcv check below only sees that it imports: remove it before torch
    # changes, so that it is rebuilt (or taken from the cache) for the new torch.
    OLD_TORCH="$("$PY" -c 'import torch; print(torch.__version__.split("+")[0])' 2>/dev/null || true)"
    if [ -n "$OLD_TORCH" ] && [ "$OLD_TORCH" != "$TORCH_PIN" ] && "$PY" -m pip show -q mmcv >/dev/null 2>&1; then
        say "torch $OLD_TORCH -> $TORCH_PIN: removing the mmcv built for torch $OLD_TORCH"
        "$PY" -m pip uninstall --isolated --disable-pip-version-check -y mmcv
    fi
    say "installing torch + torchvision from $TORCH_REQ (regular builds from the package index)"
    # --isolated skips user and environment settings but not the global pip.conf (e.g.
    # /etc/xdg/pip), whose 'constraint' can cap torch below $TORCH_PIN: hence the pointer.
    pip_install -r "$TORCH_REQ" || die "installing torch failed" \
        "check that the package index is reachable and that no global pip configuration caps torch ('$PY -m pip config debug'); see docs/installation.md"
fi
"$PY" -c 'import torchvision, torchvision.ops; torchvision.ops.nms' 2>/dev/null \
    || die "torchvision does not load with this torch (e.g. a +cpu torch with a regular torchvision)" \
           "reinstall both together: $PY -m pip install --isolated --force-reinstall -r $TORCH_REQ"

# ---------------------------------------------------------------- mmcv with ops
pip_install -r requirements/build.txt || die "installing the build tools failed" "check that the package index is reachable"
BUILD_KEY="$("$PY" - <<'EOF'
import sys, torch
cuda = torch.version.cuda if (torch.cuda.is_available() and torch.version.cuda) else 'cpu'
print(f'py{sys.version_info[0]}{sys.version_info[1]}-torch{torch.__version__}-{"cu" + cuda if cuda != "cpu" else "cpu"}')
EOF
)"
WHEEL_DIR="$CACHE_DIR/mmcv-$MMCV_VERSION/$BUILD_KEY"
# The C++ standard this torch's headers demand, read from the #error line that enforces it
# in ATen/ATen.h: "C++17 or later" up to torch 2.13, "C++20 or later" from 2.14 on. mmcv
# 2.1.0's setup.py passes -std=c++17 to the C++ compiler and nvcc, which a C++20 torch's
# headers refuse. Empty when the line is not found: then mmcv builds as it is.
TORCH_CXX_STD="$("$PY" - <<'EOF'
import os, re, torch
header = os.path.join(os.path.dirname(torch.__file__), 'include', 'ATen', 'ATen.h')
found = re.search(r'#error C\+\+(\d+) or later', open(header).read()) if os.path.exists(header) else None
print(found.group(1) if found else '')
EOF
)"

# Builds the mmcv wheel into $1. For torch up to 2.13 (C++17) it builds mmcv==$MMCV_VERSION
# from the package index untouched, as CI always has. For a torch that needs a newer C++
# standard it fetches the same sdist, patches its setup.py to that standard (the only
# change; the patch is checked below) and builds the wheel from the patched tree.
build_mmcv_wheel() {
    local out="$1" spec="mmcv==$MMCV_VERSION" src=""
    if [ -n "$TORCH_CXX_STD" ] && [ "$TORCH_CXX_STD" -gt 17 ]; then
        src="$(mktemp -d)"
        # --no-build-isolation: pip runs setup.py for the metadata, and it imports torch.
        "$PY" -m pip download --isolated --disable-pip-version-check --no-deps --no-binary :all: \
            --no-build-isolation -d "$src" "$spec" || { rm -rf "$src"; return 1; }
        tar -xzf "$src/mmcv-$MMCV_VERSION.tar.gz" -C "$src" || { rm -rf "$src"; return 1; }
        spec="$src/mmcv-$MMCV_VERSION"
        # mmcv 2.1.0 sets '-std=c++17' (gcc/clang and nvcc) and '/std:c++17' (MSVC) for
        # every torch after 1.12.1, in 4 places (CPU, CUDA, MPS, Windows); raise them all.
        sed -i -e "s|'-std=c++17'|'-std=c++$TORCH_CXX_STD'|g" \
               -e "s|'/std:c++17'|'/std:c++$TORCH_CXX_STD'|g" "$spec/setup.py"
        if grep -qE "'[-/]std[=:]c\+\+17'" "$spec/setup.py" \
            || [ "$(grep -cE "'[-/]std[=:]c\+\+$TORCH_CXX_STD'" "$spec/setup.py")" != 4 ]; then
            echo "setup_env: mmcv $MMCV_VERSION's setup.py did not take the C++$TORCH_CXX_STD patch" >&2
            rm -rf "$src"; return 1
        fi
        say "patched mmcv $MMCV_VERSION's setup.py: -std=c++17 -> -std=c++$TORCH_CXX_STD (torch $TORCH_PIN needs C++$TORCH_CXX_STD)"
    fi
    # --no-build-isolation: build against the torch installed here (an isolated build
    # would silently skip the ops); --no-cache-dir: pip's own cache ignores torch.
    # FORCE_CUDA follows the machine: CUDA ops only where a GPU is visible.
    # -g0: no debug information. It made the objects 16x larger and the build
    # several times slower (docs/installation.md); nobody steps into mmcv's ops.
    local rc=0
    CFLAGS="${CFLAGS:-} -g0" MAX_JOBS="${MAX_JOBS:-2}" "$PY" -m pip wheel --isolated --no-build-isolation --no-cache-dir --no-deps \
        -w "$out" "$spec" || rc=$?
    [ -z "$src" ] || rm -rf "$src"
    return "$rc"
}
if ! "$PY" -c "import mmcv, mmcv._ext; assert mmcv.__version__ == '$MMCV_VERSION'" 2>/dev/null; then
    WHEEL="$(ls "$WHEEL_DIR"/mmcv-*.whl 2>/dev/null | head -n1 || true)"
    if [ -z "$WHEEL" ]; then
        say "building mmcv $MMCV_VERSION with its ops for $BUILD_KEY (takes about 5 minutes on 2 cores)"
        mkdir -p "$WHEEL_DIR.partial"
        build_mmcv_wheel "$WHEEL_DIR.partial" \
            || die "building mmcv $MMCV_VERSION failed (see the compiler output above)" \
                   "check the C++ compiler ($CXX_BIN) and that torch imports; then run this script again"
        rm -rf "$WHEEL_DIR" && mv "$WHEEL_DIR.partial" "$WHEEL_DIR"
        WHEEL="$(ls "$WHEEL_DIR"/mmcv-*.whl | head -n1)"
    else
        say "reusing cached mmcv wheel $WHEEL"
    fi
    # Replace any mmcv without ops, then add its declared dependencies (addict, yapf,
    # opencv, ...); mmcv does not declare torch.
    pip_install --force-reinstall --no-deps "$WHEEL" && pip_install "$WHEEL"
fi
"$PY" -c 'import mmcv._ext' 2>/dev/null \
    || die "mmcv was installed without its compiled ops (no mmcv._ext)" \
           "delete $WHEEL_DIR and run this script again; the build must use --no-build-isolation"

# ---------------------------------------------------------------- OpenMMLab + project
say "installing mmengine, mmdet, mmsegmentation, mmpretrain, pycocotools and test tools"
pip_install -r requirements/runtime.txt -r requirements/tests.txt \
    || die "installing the OpenMMLab packages failed" "check that the package index is reachable"
pip_install --no-deps --no-build-isolation -e . || die "installing shufflenet_backbones in editable mode failed"
"$PY" -c 'import torch, torchvision, mmcv.ops, mmdet, mmseg, mmpretrain.models, shufflenet_backbones' \
    || die "the installed stack does not import (see the traceback above)" "delete .venv/ and run this script again"

echo "$FINGERPRINT" > "$("$PY" -c 'import sys; print(sys.prefix)')/.shufflenet_backbones_setup"
say "environment ready: $("$PY" -c 'import torch, mmcv, mmdet, mmseg, mmpretrain; print(f"torch {torch.__version__}, mmcv {mmcv.__version__}, mmdet {mmdet.__version__}, mmseg {mmseg.__version__}, mmpretrain {mmpretrain.__version__}")')"
