"""Download, verify and convert published ImageNet weights to where configs look.

    python tools/get_weights.py NAME [--dir checkpoints]
    python tools/get_weights.py --list

The command is :mod:`shufflenet_backbones.toolkit.cli.get_weights`; the table is
:mod:`shufflenet_backbones.toolkit.weights.zoo`.
"""
from shufflenet_backbones.toolkit.cli.get_weights import main

if __name__ == '__main__':
    main()
