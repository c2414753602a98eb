"""The options every benchmark command takes (timing, threads, deployment rows)."""
import argparse
from pathlib import Path
from typing import Dict

import torch

from ...benchmarks.timing import Timing


def add_timing_args(parser: argparse.ArgumentParser) -> None:
    """``--threads``, ``--quick`` and ``--out-dir``."""
    parser.add_argument('--threads', type=int, default=2,
                        help='intra-op threads (default: 2)')
    parser.add_argument('--quick', action='store_true',
                        help='fewer warm-up passes and rounds, shorter rounds')
    parser.add_argument('--out-dir', type=Path, default=Path('work_dirs/benchmarks'),
                        help='where the JSON and Markdown reports go')


def add_deploy_args(parser: argparse.ArgumentParser, rows: str) -> None:
    """``--deploy-only`` / ``--skip-deploy``: the runtime rows (``rows`` says
    which) alone, or none of them."""
    deploy = parser.add_mutually_exclusive_group()
    deploy.add_argument('--deploy-only', action='store_true',
                        help=f'only the runtime rows ({rows}, beside PyTorch '
                        'eager)')
    deploy.add_argument('--skip-deploy', action='store_true',
                        help='no runtime rows')


def start_timing(args: argparse.Namespace, settings: Dict[str, Timing]) -> Timing:
    """Fix the thread count and the seed; the ``'quick'`` or ``'full'`` settings
    as ``--quick`` asks."""
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    return settings['quick' if args.quick else 'full']
