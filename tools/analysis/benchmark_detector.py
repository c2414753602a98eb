"""Light-Head R-CNN beside Faster R-CNN + FPN on the same ShuffleNetV2 1x backbone:
inference speed, and peak training memory with and without ``with_cp``.

    python tools/analysis/benchmark_detector.py [--threads 2] [--quick]
        [--skip-memory] [--out-dir work_dirs/benchmarks]

The logic lives in :mod:`shufflenet_backbones.analysis.detector_benchmark`.
"""
from shufflenet_backbones.analysis.detector_benchmark import main

if __name__ == '__main__':
    main()
