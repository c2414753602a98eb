"""FLOPs and parameters of every ShuffleNet variant beside the papers' figures.

    python tools/analysis/get_flops.py [--out-dir work_dirs/benchmarks]

The command is :mod:`shufflenet_backbones.toolkit.cli.get_flops`.
"""
from shufflenet_backbones.toolkit.cli.get_flops import main

if __name__ == '__main__':
    main()
