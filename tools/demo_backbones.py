"""Build every ShuffleNet variant, run one image through it and print what comes out.

    python tools/demo_backbones.py [--size H W]

The logic lives in :mod:`shufflenet_backbones.analysis.backbone_summary`.
"""
from shufflenet_backbones.analysis.backbone_summary import main

if __name__ == '__main__':
    main()
