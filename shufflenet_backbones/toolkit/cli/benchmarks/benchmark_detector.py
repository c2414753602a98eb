"""Light-Head R-CNN, Faster R-CNN and ThunderNet: speed, memory and deployment.

The command line of ``tools/analysis/benchmark_detector.py``; the work is done by
:mod:`shufflenet_backbones.toolkit.benchmarks.detector_benchmark`.
"""
import argparse
import json
import sys
import tempfile
from pathlib import Path

import mmdet

from ...analysis.reports import new_report, write_report
from ...benchmarks.detector_benchmark import (DETECTORS, HEIGHT, SETTINGS,
                                              WIDTH, measure_speed)
from ...benchmarks.detector_deploy import (CALIB_IMAGES, measure_deploy,
                                           measure_profiles,
                                           measure_thundernet)
from ...benchmarks.detector_memory import measure_memory, memory_worker
from ...benchmarks.detector_report import to_markdown
from ...benchmarks.timing import runtime_versions
from ...benchmarks.trained_deploy import PLAN_KEYS, measure_trained, worker
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
    parser.add_argument('--trained-only', action='store_true',
                        help='only the rows with trained weights (Light-Head R-CNN '
                        'trained on generated shapes at each size, cached in '
                        '--cache-dir) and the per-stage profiles')
    parser.add_argument('--processes', type=int, default=3,
                        help='fresh processes the trained-weight pairs run in, one '
                        'after another: the spread across them (default: 3)')
    parser.add_argument('--cache-dir', type=Path,
                        default=Path('work_dirs/benchmarks/trained'),
                        help='trained weights, their data and exported files '
                        '(default: work_dirs/benchmarks/trained)')
    # internal: one process's trained-weight pairs
    parser.add_argument('--trained-worker', choices=sorted(PLAN_KEYS),
                        help=argparse.SUPPRESS)
    # internal: one memory measurement in a fresh process
    parser.add_argument('--memory-worker', choices=list(DETECTORS),
                        help=argparse.SUPPRESS)
    parser.add_argument('--with-cp', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--memory-size', type=int, nargs=2, default=(HEIGHT, WIDTH),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.trained_only and (args.deploy_only or args.skip_deploy):
        parser.error('--trained-only: not with --deploy-only / --skip-deploy')
    if args.processes < 1:
        parser.error(f'--processes: at least 1, got {args.processes}')

    timing = start_timing(args, SETTINGS)
    if args.trained_worker:
        print(json.dumps(worker(args.trained_worker, args.threads, timing,
                                args.cache_dir)))
        return
    if args.memory_worker:
        print(json.dumps(memory_worker(args.memory_worker, args.with_cp,
                                       tuple(args.memory_size))))
        return
    report = new_report('detector',
                        dict(mmdet=mmdet.__version__, **runtime_versions()), timing)
    report.update(speed=[], memory=[], deploy=[], thundernet=[], trained=[],
                  profiles=[])
    if not args.skip_deploy:
        # with trained weights: the figures users will see, and their stages
        worker_command = [sys.executable, '-m', __name__, '--threads',
                          str(args.threads), '--cache-dir', str(args.cache_dir),
                          *(['--quick'] if args.quick else []), '--trained-worker']
        measure_trained(report, args.threads, timing, args.cache_dir,
                        args.processes, worker_command)
        with tempfile.TemporaryDirectory() as work_dir:
            measure_profiles(report, args.threads, Path(work_dir), args.calib_images)
            if not args.trained_only:  # random weights: the worst case for eager
                measure_deploy(report, timing, args.threads, Path(work_dir),
                               args.calib_images)
                measure_thundernet(report, timing, Path(work_dir),
                                   args.calib_images)
    if args.trained_only:
        write_report(report, to_markdown, args.out_dir)
        return
    if not args.deploy_only:
        measure_speed(report, timing)
    if not (args.skip_memory or args.deploy_only):
        measure_memory(report, args.threads)
    write_report(report, to_markdown, args.out_dir)


if __name__ == '__main__':  # detector_memory.WORKER: python -m this module
    main()
