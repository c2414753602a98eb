"""Two detectors trained from random init on real aerial photographs, COCO mAP side
by side.

The command line of ``tools/analysis/benchmark_real_photos.py``; the work is done by
:mod:`shufflenet_backbones.toolkit.benchmarks.real_photos`.
"""
import argparse
import dataclasses
from pathlib import Path

from ...analysis.reports import new_report, write_report
from ...benchmarks.real_photos import (CONTENDERS, prepare_tiles, to_markdown,
                                       train_contender)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--contenders', nargs='+', choices=sorted(CONTENDERS),
                        default=list(CONTENDERS),
                        help='which detectors to train (default: both)')
    parser.add_argument('--iters', type=int, metavar='N',
                        help="a shorter schedule of the same shape (default: the "
                        "configs' own, configs/_base_/schedules/real_photos_det.py)")
    parser.add_argument('--data-dir', default='data/deepforest_trees',
                        help='the tiles in COCO format (written on the first run)')
    parser.add_argument('--cache-dir', default='work_dirs/real_photos/cache',
                        help='where the deepforest wheel and its photographs go')
    parser.add_argument('--work-dir', default='work_dirs/real_photos',
                        help='one work dir per contender under it')
    parser.add_argument('--out-dir', type=Path, default=Path('work_dirs/benchmarks'),
                        help='where the JSON and Markdown reports go')
    args = parser.parse_args(argv)
    if args.iters is not None and args.iters < 10:
        parser.error(f'--iters: at least 10 iterations, got {args.iters}')

    report = new_report('real_photos', {})
    report['data'] = prepare_tiles(args.cache_dir, args.data_dir)
    print('\n'.join(report['data']))
    report['runs'] = []
    for name in args.contenders:
        print(f'training {name}: {CONTENDERS[name][1]} ...', flush=True)
        run = train_contender(name, args.data_dir, args.work_dir, args.iters)
        report['runs'].append(dataclasses.asdict(run))
    write_report(report, to_markdown, args.out_dir)
