"""Plot the training losses that mmengine logged in a work dir.

The command line of ``tools/analysis/plot_loss.py``; the work is done by
:mod:`shufflenet_backbones.toolkit.analysis.loss_curve`.
"""
import argparse
import sys
from pathlib import Path

from ..analysis.loss_curve import plot_losses, read_losses


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('work_dir', type=Path)
    parser.add_argument('--out', type=Path, help='PNG to write')
    args = parser.parse_args(argv)
    try:
        losses = read_losses(args.work_dir)
    except FileNotFoundError as err:
        sys.exit(f'plot_loss: {err}')
    if not losses:
        sys.exit(f'plot_loss: no loss values logged under {args.work_dir}')
    out = args.out or args.work_dir / 'loss_curve.png'
    plot_losses(losses, f'training losses: {args.work_dir}', out)
    print(f'loss curve: {out}')
