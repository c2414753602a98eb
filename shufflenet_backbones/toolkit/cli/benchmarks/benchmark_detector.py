"""Light-Head R-CNN, Faster R-CNN and ThunderNet: speed, memory and deployment.

The command line of ``tools/analysis/benchmark_detector.py``; the work is done by
:mod:`shufflenet_backbones.toolkit.benchmarks.detector_benchmark`.
"""
import argparse
import json
import tempfile
from pathlib import Path

import mmdet

from ...analysis.reports import new_report, write_report
from ...benchmarks.detector_benchmark import (DETECTORS, HEIGHT, SETTINGS,
                                              WIDTH, measure_speed)
from ...benchmarks.detector_deploy import (CALIB_IMAGES, measure_deploy,
                                           measure_thundernet)
from ...benchmarks.detector_memory import measure_memory, memory_worker
from ...benchmarks.detector_report import to_markdown
from ...benchmarks.timing import runtime_versions
from .options import add_deploy_args, add_timing_args, start_timing


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_timing_args(parser)
    parser.add_argument('--skip-memory', action='store_true',
                        help='time inference only')
    add_deploy_args(parser, 'the detectors exported, in onnxruntime and '
                    'OpenVINO, FP32 and INT8')
    parser.add_argument('--calib-images', type=int, default=CALIB_IMAGES,
                        help='random images calibrating the INT8 files (default: '
                        f'{CALIB_IMAGES})')
    # internal: one memory measurement in a fresh process
    parser.add_argument('--memory-worker', choices=list(DETECTORS),
                        help=argparse.SUPPRESS)
    parser.add_argument('--with-cp', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--memory-size', type=int, nargs=2, default=(HEIGHT, WIDTH),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    timing = start_timing(args, SETTINGS)
    if args.memory_worker:
        print(json.dumps(memory_worker(args.memory_worker, args.with_cp,
                                       tuple(args.memory_size))))
        return
    report = new_report('detector',
                        dict(mmdet=mmdet.__version__, **runtime_versions()), timing)
    report.update(speed=[], memory=[], deploy=[], thundernet=[])
    if not args.deploy_only:
        measure_speed(report, timing)
    if not args.skip_deploy:
        with tempfile.TemporaryDirectory() as work_dir:
            measure_deploy(report, timing, args.threads, Path(work_dir),
                           args.calib_images)
            measure_thundernet(report, timing, Path(work_dir), args.calib_images)
    if not (args.skip_memory or args.deploy_only):
        measure_memory(report, args.threads)
    write_report(report, to_markdown, args.out_dir)


if __name__ == '__main__':  # detector_memory.WORKER: python -m this module
    main()
