"""Write the newest benchmark reports into docs/performance.md.

The command line of ``tools/analysis/update_performance_doc.py``; the work is done by
:mod:`shufflenet_backbones.toolkit.benchmarks.performance_doc`.
"""
import argparse
import sys
from pathlib import Path

from ...benchmarks.performance_doc import update


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--bench-dir', type=Path,
                        default=Path('work_dirs/benchmarks'))
    parser.add_argument('--doc', type=Path, default=Path('docs/performance.md'),
                        help='the file to update (default: %(default)s)')
    parser.add_argument('--profiles-only', action='store_true',
                        help='update only the per-stage profiles and trained-weight '
                        'rows at the top (from the newest detector report with them)')
    args = parser.parse_args(argv)
    try:
        update(args.doc, args.bench_dir, args.profiles_only)
    except (OSError, ValueError) as err:
        print(f'update_performance_doc.py: error: {err}', file=sys.stderr)
        sys.exit(1)
    print(f'updated {args.doc}')
