"""Plot the training losses that mmengine logged in a work dir.

    python tools/analysis/plot_loss.py WORK_DIR [--out FILE]

Reads every ``WORK_DIR/<timestamp>/vis_data/scalars.json`` (written by mmengine's
``LocalVisBackend``; a resumed run adds a new timestamp folder) and draws each
``loss*`` value against the iteration. Writes ``WORK_DIR/loss_curve.png`` unless
``--out`` says otherwise.
"""
import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use('Agg')  # no display needed
import matplotlib.pyplot as plt  # noqa: E402


def read_losses(work_dir: Path) -> dict:
    """{loss name: [(iteration, value), ...]} over all runs in ``work_dir``."""
    files = sorted(work_dir.glob('*/vis_data/scalars.json'))
    if not files:
        raise FileNotFoundError(f'no */vis_data/scalars.json under {work_dir}: is it '
                                'the --work-dir of a training run?')
    series = defaultdict(dict)
    for path in files:
        for line in path.read_text().splitlines():
            record = json.loads(line)
            step = record.get('iter', record.get('step'))
            for key, value in record.items():
                if key.startswith('loss'):
                    series[key][step] = value  # a resumed run overwrites repeats
    return {k: sorted(v.items()) for k, v in series.items()}


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
    fig, ax = plt.subplots(figsize=(8, 5))
    for name, points in sorted(losses.items()):
        steps, values = zip(*points)
        ax.plot(steps, values, label=name, linewidth=2.5 if name == 'loss' else 1)
    ax.set_xlabel('iteration')
    ax.set_ylabel('loss')
    ax.set_yscale('log')
    ax.grid(True, alpha=0.3)
    ax.legend()
    ax.set_title(f'training losses: {args.work_dir}')
    out = args.out or args.work_dir / 'loss_curve.png'
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    print(f'loss curve: {out}')
