"""FLOPs and parameters of every ShuffleNet variant beside the papers' figures.

The command line of ``tools/analysis/get_flops.py``; the work is done by
:mod:`shufflenet_backbones.toolkit.analysis.flops`.
"""
import argparse
from pathlib import Path

from ..analysis.flops import measure, to_markdown
from ..analysis.reports import new_report, write_report


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out-dir', type=Path, default=Path('work_dirs/benchmarks'))
    args = parser.parse_args(argv)

    report = new_report('flops', {})
    report['rows'] = measure()
    write_report(report, to_markdown, args.out_dir)
