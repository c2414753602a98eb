"""Throughput of our ShuffleNet backbones beside torchvision's and mmpretrain's, and
of the exported ShuffleNetV2 1x in onnxruntime and OpenVINO (FP32, INT8).

    python tools/analysis/benchmark_backbone.py [--threads 2] [--v2-widths 1.0 0.5]
        [--quick] [--deploy-only | --skip-deploy] [--out-dir work_dirs/benchmarks]

The command is :mod:`shufflenet_backbones.toolkit.cli.benchmarks.benchmark_backbone`.
"""
from shufflenet_backbones.toolkit.cli.benchmarks.benchmark_backbone import main

if __name__ == '__main__':
    main()
