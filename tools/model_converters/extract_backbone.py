"""Export the backbone of an ImageNet-trained classifier for the detection configs.

    python tools/model_converters/extract_backbone.py SRC DST

The command is :mod:`shufflenet_backbones.toolkit.cli.extract_backbone`.
"""
from shufflenet_backbones.toolkit.cli.extract_backbone import main

if __name__ == '__main__':
    main()
