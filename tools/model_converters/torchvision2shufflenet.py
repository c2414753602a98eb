"""Convert a torchvision ShuffleNetV2 checkpoint to this project's layout.

    python tools/model_converters/torchvision2shufflenet.py SRC DST

The command is :mod:`shufflenet_backbones.toolkit.cli.torchvision2shufflenet`.
"""
from shufflenet_backbones.toolkit.cli.torchvision2shufflenet import main

if __name__ == '__main__':
    main()
