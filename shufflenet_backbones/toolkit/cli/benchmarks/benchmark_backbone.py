"""Throughput of our backbones beside torchvision's and mmpretrain's, and deployed.

The command line of ``tools/analysis/benchmark_backbone.py``; the work is done by
:mod:`shufflenet_backbones.toolkit.benchmarks.backbone_benchmark`.
"""
import argparse
import copy

import mmpretrain
import torchvision

from ...analysis.reports import new_report, write_report
from ...benchmarks.backbone_benchmark import (CASES, DEVICES, SETTINGS,
                                              measure_runtimes, time_case)
from ...benchmarks.backbone_report import to_markdown
from ...benchmarks.backbone_variants import (TORCHVISION_V2, check_outputs,
                                             v1_models, v2_models)
from ...benchmarks.timing import runtime_versions
from .options import add_deploy_args, add_timing_args, start_timing


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_timing_args(parser)
    parser.add_argument('--v2-widths', type=float, nargs='+', default=[1.0],
                        choices=sorted(TORCHVISION_V2),
                        help='ShuffleNetV2 widths to compare (default: 1.0)')
    add_deploy_args(parser, 'ShuffleNetV2 1x in onnxruntime and OpenVINO, FP32 '
                    'and INT8')
    args = parser.parse_args(argv)

    timing = start_timing(args, SETTINGS)
    families = {f'ShuffleNetV2 {w}x': lambda w=w: v2_models(w) for w in args.v2_widths}
    families['ShuffleNetV1 g=3 1.0x'] = v1_models
    if args.deploy_only:
        families = {}

    report = new_report(
        'backbone',
        dict(torchvision=torchvision.__version__, mmpretrain=mmpretrain.__version__,
             **runtime_versions()), timing)
    report.update(parity={}, results=[], runtime_results=[])
    for family, build in families.items():
        variants = build()
        report['parity'][family] = check_outputs(variants)
        for device in DEVICES:
            on_device = variants if device == 'cpu' else {
                name: v._replace(model=copy.deepcopy(v.model).to(device))
                for name, v in variants.items()
            }
            for label, shape in CASES:
                time_case(report, family, on_device, device, label, shape, timing)
    if not args.skip_deploy:
        measure_runtimes(report, timing, args.threads)
    write_report(report, to_markdown, args.out_dir)
