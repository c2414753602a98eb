"""Convert a torchvision ShuffleNetV2 checkpoint to this project's layout.

    python tools/model_converters/torchvision2shufflenet.py SRC DST

The logic lives in :mod:`shufflenet_backbones.weights.torchvision`.
"""
from shufflenet_backbones.weights.torchvision import main

if __name__ == '__main__':
    main()
