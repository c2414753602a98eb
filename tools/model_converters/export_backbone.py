"""Export the backbone of an ImageNet-trained classifier for the detection configs.

    python tools/model_converters/export_backbone.py SRC DST

The logic lives in :mod:`shufflenet_backbones.weights.export_backbone`.
"""
from shufflenet_backbones.weights.export_backbone import main

if __name__ == '__main__':
    main()
