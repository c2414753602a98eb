#!/usr/bin/env bash
# The checks that need a CUDA GPU, as one short script for a machine that has one
# (nothing else depends on it; the CPU suite covers everything else):
#   1. the PSRoIAlign CUDA tests (skipped on machines without a GPU);
#   2. the detector benchmark on CUDA: Light-Head R-CNN V2 1x and Faster R-CNN + FPN
#      at 800x1200 (padded to 800x1216), batch 1 and 4 -- compare Light-Head's
#      batch-4 images/s with the V2 paper's 146 images/s (GTX 1080Ti, batch 4);
#   3. onnxruntime-gpu, if it installs: the exported Light-Head R-CNN (random
#      weights: a speed check, its outputs hold no boxes) on CUDA and on CPU.
# Usage: bash tools/analysis/gpu_check.sh [OUT_DIR]   (after bash tools/setup_env.sh)
set -uo pipefail  # no -e: a failing step must not cost the others their GPU time
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
PY=.venv/bin/python
OUT="${1:-work_dirs/gpu_check}"
mkdir -p "$OUT"

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
$PY -c "import torch; assert torch.cuda.is_available(), 'torch sees no GPU'" || exit 1

echo "== 1/3 PSRoIAlign on CUDA"
$PY -m pytest tests/test_ops/test_ps_roi_align.py -q -rs 2>&1 | tee "$OUT/psroialign.txt"

echo "== 2/3 detector benchmark on CUDA"
$PY tools/analysis/benchmark_detector.py --skip-memory --skip-deploy \
    --out-dir "$OUT" 2>&1 | tee "$OUT/benchmark_detector.txt"

echo "== 3/3 onnxruntime-gpu"
# --no-deps: its numpy / protobuf must not shadow the environment's; no retries
# on a machine that may have no network
if $PY -m pip install -q --no-deps --retries 0 --timeout 5 --target "$OUT/ort_gpu" \
        onnxruntime-gpu; then
    PYTHONPATH="$OUT/ort_gpu" $PY - "$OUT" <<'EOF' 2>&1 | tee "$OUT/onnxruntime_gpu.txt"
import sys
import time

import numpy as np
import onnxruntime as ort
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.registry import DefaultScope

from shufflenet_backbones.toolkit.deploy.export import export_model

out = sys.argv[1]
cfg = Config.fromfile('configs/det/lighthead_shufflenetv2.py')
cfg.model.backbone.init_cfg = None
with DefaultScope.overwrite_default_scope('mmdet'):
    model = MODELS.build(cfg.model).eval()
path = f'{out}/lighthead.onnx'
export_model(cfg, model, path, shape=(800, 1216))
feed = dict(images=np.random.randint(0, 256, (1, 3, 800, 1216)).astype(np.float32),
            img_shapes=np.array([[800, 1216]], np.int64))
print('providers available:', ort.get_available_providers())
results = {}
for provider in ('CUDAExecutionProvider', 'CPUExecutionProvider'):
    session = ort.InferenceSession(path, providers=[provider])
    for _ in range(3):
        outputs = session.run(None, feed)
    start = time.perf_counter()
    for _ in range(10):
        outputs = session.run(None, feed)
    rate = 10 / (time.perf_counter() - start)
    results[provider] = outputs
    print(f'{provider}: {rate:.1f} images/s at 800x1216, batch 1, '
          f'{session.get_providers()[0]} ran it')
gpu, cpu = results['CUDAExecutionProvider'], results['CPUExecutionProvider']
print('max |dets| difference GPU vs CPU (random weights, empty slots):',
      float(np.abs(gpu[0] - cpu[0]).max()))
EOF
else
    echo "onnxruntime-gpu did not install" | tee "$OUT/onnxruntime_gpu.txt"
fi
echo "outputs in $OUT/"
