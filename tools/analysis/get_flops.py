"""FLOPs and parameters of every ShuffleNet variant beside the papers' figures.

    python tools/analysis/get_flops.py [--out-dir work_dirs/benchmarks]

The logic lives in :mod:`shufflenet_backbones.analysis.flops`.
"""
from shufflenet_backbones.analysis.flops import main

if __name__ == '__main__':
    main()
