"""Convert a ShuffleNet V2 checkpoint into a ShuffleNet V2* one of the same width.

    python tools/model_converters/shufflenetv2_to_v2star.py SRC DST [--bn-eps EPS]

The command is :mod:`shufflenet_backbones.toolkit.cli.shufflenetv2_to_v2star`.
"""
from shufflenet_backbones.toolkit.cli.shufflenetv2_to_v2star import main

if __name__ == '__main__':
    main()
