"""Decode every image of a config's datasets and check it against its annotations.

The command line of ``tools/data/check_dataset.py``; the work is done by
:mod:`shufflenet_backbones.toolkit.data.doctor`.
"""
import argparse
import os
import time
from collections import Counter
from typing import List, Optional

from ..data.doctor import check_datasets


def main(argv: Optional[List[str]] = None) -> int:
    """Command line of ``tools/data/check_dataset.py``; returns the exit code:
    1 when there are problems, 0 otherwise."""
    parser = argparse.ArgumentParser(
        description='Decode every image of a config\'s datasets and check it '
        'against its annotations')
    parser.add_argument('config', help='config file')
    parser.add_argument('--split', nargs='+', choices=('train', 'val', 'test'),
                        default=['train', 'val', 'test'],
                        help='dataloaders to check (default: all three)')
    parser.add_argument('--workers', type=int, default=os.cpu_count() or 1,
                        help='decoding processes (default: the number of CPUs)')
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error(f'argument --workers: must be at least 1, got {args.workers}')
    from mmengine import Config  # after argparse: --help stays fast
    cfg = Config.fromfile(args.config)
    start = time.perf_counter()
    problems, info = check_datasets(cfg, args.split, args.workers)
    seconds = time.perf_counter() - start
    for where, why in info['skipped'].items():
        print(f'{where}: not checked ({why})')
    for problem in problems:
        print(problem)
    rate = info['num_images'] / seconds if seconds else float('inf')
    print(f"Checked {info['num_images']} images in {seconds:.2f} s "
          f"({rate:.1f} images/s; {info['num_decoded']} files decoded, "
          f"{info['num_cached']} from the cache).")
    if problems:
        kinds = Counter(problem.kind for problem in problems)
        print(f'{len(problems)} problems: ' + ', '.join(
            f'{kind} {count}' for kind, count in sorted(kinds.items())))
        return 1
    print('No problems.')
    return 0
