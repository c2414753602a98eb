"""Download, verify and convert published ImageNet weights to where configs look.

    python tools/get_weights.py NAME [--dir checkpoints]
    python tools/get_weights.py --list

The table and the logic live in :mod:`shufflenet_backbones.weights.model_zoo`.
"""
from shufflenet_backbones.weights.model_zoo import main

if __name__ == '__main__':
    main()
