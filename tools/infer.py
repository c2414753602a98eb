"""Detect objects in your own images with a trained detector (mmdet's DetInferencer
with this package's modules registered): drawn images in OUT_DIR/vis/, predictions
as JSON in OUT_DIR/preds/.

    python tools/infer.py CONFIG CHECKPOINT IMAGE_OR_DIR [IMAGE_OR_DIR ...]
                          [--out-dir DIR] [--score-thr 0.3] [--device cpu]
                          [--slice H W [--overlap 0.2] [--no-whole-image]]

The command is :mod:`shufflenet_backbones.toolkit.cli.infer`.
"""
from shufflenet_backbones.toolkit.cli.infer import main

if __name__ == '__main__':
    main()
