"""Convert a ShuffleNet V2 checkpoint into a ShuffleNet V2* one of the same width.

    python tools/model_converters/shufflenetv2_to_v2star.py SRC DST [--bn-eps EPS]

The logic lives in :mod:`shufflenet_backbones.weights.v2_to_v2star`.
"""
from shufflenet_backbones.weights.v2_to_v2star import main

if __name__ == '__main__':
    main()
