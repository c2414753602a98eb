"""Train a detector, segmenter or classifier from a config (mmdet 3.x's command line).

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
                                 [--cfg-options k=v ...] [--launcher pytorch]

The logic lives in :mod:`shufflenet_backbones.cli.train`.
"""
from shufflenet_backbones.cli.train import main

if __name__ == '__main__':
    main()
