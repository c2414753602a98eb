"""Test (and evaluate) a checkpoint of a detection, segmentation or classification
config (mmdet 3.x's command line).

    python tools/test.py CONFIG CHECKPOINT [--out results.pkl] [--show-dir DIR]
                                           [--deploy] [--work-dir DIR]
                                           [--cfg-options k=v ...]
                                           [--slice H W [--overlap 0.2]]

The command is :mod:`shufflenet_backbones.toolkit.cli.test`.
"""
from shufflenet_backbones.toolkit.cli.test import main

if __name__ == '__main__':
    main()
