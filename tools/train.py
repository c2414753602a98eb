"""Train a detector, segmenter or classifier from a config (mmdet 3.x's command line).

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
                                 [--cfg-options k=v ...] [--launcher pytorch]

The command is :mod:`shufflenet_backbones.toolkit.cli.train`.
"""
from shufflenet_backbones.toolkit.cli.train import main

if __name__ == '__main__':
    main()
