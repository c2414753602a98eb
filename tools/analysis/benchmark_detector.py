"""Light-Head R-CNN beside Faster R-CNN + FPN on the same ShuffleNetV2 1x backbone:
inference speed, and peak training memory with and without ``with_cp``; the
exported detectors (Light-Head R-CNN, ThunderNet) in onnxruntime and OpenVINO, FP32
and INT8, beside PyTorch eager: with trained weights (trained on generated shapes
at each size, cached), spread over processes, and per stage; and with random
weights as the worst case.

    python tools/analysis/benchmark_detector.py [--threads 2] [--quick]
        [--skip-memory] [--deploy-only | --skip-deploy | --trained-only]
        [--processes 3] [--cache-dir work_dirs/benchmarks/trained]
        [--calib-images 8] [--out-dir work_dirs/benchmarks]

The command is :mod:`shufflenet_backbones.toolkit.cli.benchmarks.benchmark_detector`.
"""
from shufflenet_backbones.toolkit.cli.benchmarks.benchmark_detector import main

if __name__ == '__main__':
    main()
