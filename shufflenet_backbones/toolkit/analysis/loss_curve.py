"""Plot the training losses that mmengine logged in a work dir.

    python tools/analysis/plot_loss.py WORK_DIR [--out FILE]

Reads every ``WORK_DIR/<timestamp>/vis_data/scalars.json`` (written by mmengine's
``LocalVisBackend``; a resumed run adds a new timestamp folder) and draws each
``loss*`` value against the iteration. Writes ``WORK_DIR/loss_curve.png`` unless
``--out`` says otherwise.
"""
import json
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


def plot_losses(losses: dict, title: str, out: Path) -> None:
    """Draw :func:`read_losses`'s curves (log scale, total loss thicker) to ``out``."""
    fig, ax = plt.subplots(figsize=(8, 5))
    for name, points in sorted(losses.items()):
        steps, values = zip(*points)
        ax.plot(steps, values, label=name, linewidth=2.5 if name == 'loss' else 1)
    ax.set_xlabel('iteration')
    ax.set_ylabel('loss')
    ax.set_yscale('log')
    ax.grid(True, alpha=0.3)
    ax.legend()
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
