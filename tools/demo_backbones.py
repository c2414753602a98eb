"""Build every ShuffleNet variant, run one image through it and print what comes out.

    python tools/demo_backbones.py [--size H W]

The command is :mod:`shufflenet_backbones.toolkit.cli.demo_backbones`.
"""
from shufflenet_backbones.toolkit.cli.demo_backbones import main

if __name__ == '__main__':
    main()
