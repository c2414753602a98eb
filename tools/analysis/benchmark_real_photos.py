"""Light-Head R-CNN (this package) beside mmdet's Faster R-CNN + FPN on mmpretrain's
ShuffleNetV2, both trained from random init on real aerial photographs (deepforest's
tree crowns, cut into tiles), with the same data, schedule and budget; COCO mAP.

    python tools/analysis/benchmark_real_photos.py [--contenders lighthead reference]
        [--iters N] [--data-dir data/deepforest_trees]
        [--work-dir work_dirs/real_photos]
        [--out-dir work_dirs/benchmarks]

The command is :mod:`shufflenet_backbones.toolkit.cli.benchmarks.benchmark_real_photos`.
"""
from shufflenet_backbones.toolkit.cli.benchmarks.benchmark_real_photos import \
    main

if __name__ == '__main__':
    main()
