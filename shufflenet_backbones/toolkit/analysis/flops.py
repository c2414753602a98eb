"""FLOPs and parameters of every ShuffleNet variant beside the papers' figures.

    python tools/analysis/get_flops.py [--out-dir work_dirs/benchmarks]

Counts as the papers do (:mod:`.complexity`): multiply-adds of the convolutions
and of a 1000-class FC on a 224x224 image; parameters of the backbone and that FC.
Prints a Markdown table with the ratio ours / paper and writes it with the rows as
``flops_<date>.md`` and ``.json`` to ``--out-dir``. The V1 paper gives no
parameter counts, the V2 paper no classification figures for V2* (only its
detection FLOPs) and the ThunderNet paper no parameter counts for SNet, so those
cells are empty. An SNet's paper MFLOPs is the number in its name; ours differ
for SNet49 and SNet146 (see :class:`~shufflenet_backbones.models.SNet`).
"""
from typing import List, NamedTuple, Optional

from ...models import ShuffleNetV1, ShuffleNetV2, ShuffleNetV2Star, SNet
from .complexity import classifier_multiply_adds, classifier_params
from .reports import report_header


class Variant(NamedTuple):
    """A backbone variant with the figures its paper gives (None: not given)."""
    cls: type
    kwargs: dict
    paper_mflops: Optional[float]
    paper_params_m: Optional[float]


# V1: Table 1 (1x) and Table 2 / 8 (g=3 at other widths); V2: Table 5; SNet
# (ThunderNet): the MFLOPs its name gives.
VARIANTS = [
    *[Variant(ShuffleNetV1, dict(groups=g, widen_factor=1.0), mflops, None)
      for g, mflops in zip((1, 2, 3, 4, 8), (143, 140, 137, 133, 137))],
    *[Variant(ShuffleNetV1, dict(groups=3, widen_factor=w), mflops, None)
      for w, mflops in ((0.5, 38), (1.5, 292), (2.0, 524))],
    *[Variant(ShuffleNetV2, dict(widen_factor=w), mflops, params)
      for w, mflops, params in zip((0.5, 1.0, 1.5, 2.0), (41, 146, 299, 591),
                                   (1.4, 2.3, 3.5, 7.4))],
    *[Variant(ShuffleNetV2Star, dict(widen_factor=w), None, None)
      for w in (0.5, 1.0, 1.5, 2.0)],
    *[Variant(SNet, dict(arch=arch), arch, None) for arch in (49, 146, 535)],
]


def ratio(ours: float, paper: Optional[float]) -> Optional[float]:
    return None if paper is None else round(ours / paper, 3)


def measure() -> List[dict]:
    """One row per variant: our figures, the paper's and their ratios."""
    rows = []
    for cls, kwargs, paper_mflops, paper_params in VARIANTS:
        backbone = cls(**kwargs)
        mflops = classifier_multiply_adds(backbone) / 1e6
        params = classifier_params(backbone) / 1e6
        # an SNet goes by its paper's name, e.g. 'SNet146'
        rows.append(
            dict(
                model=cls.__name__ + str(kwargs.get('arch', '')),
                groups=kwargs.get('groups'),
                widen_factor=kwargs.get('widen_factor'),
                arch=kwargs.get('arch'),
                mflops=round(mflops, 1),
                paper_mflops=paper_mflops,
                mflops_ratio=ratio(mflops, paper_mflops),
                params_m=round(params, 3),
                paper_params_m=paper_params,
                params_ratio=ratio(params, paper_params)))
    return rows


def to_markdown(report: dict) -> str:
    # (title, key, format)
    columns = [('Model', 'model', ''), ('g', 'groups', ''),
               ('Width', 'widen_factor', ''), ('MFLOPs', 'mflops', '.1f'),
               ('Paper MFLOPs', 'paper_mflops', ''), ('Ratio', 'mflops_ratio', '.3f'),
               ('Params (M)', 'params_m', '.2f'),
               ('Paper params (M)', 'paper_params_m', ''),
               ('Ratio', 'params_ratio', '.3f')]
    lines = report_header(report, 'FLOPs and parameters', timed=False) + [
        'Multiply-adds of the convolutions and a 1000-class FC at 224x224; '
        'parameters with that FC.', '',
        '| ' + ' | '.join(title for title, _, _ in columns) + ' |',
        '|' + '|'.join(':---' if key == 'model' else '---:'
                       for _, key, _ in columns) + '|'
    ]
    for row in report['rows']:
        cells = ['' if row[key] is None else format(row[key], spec)
                 for _, key, spec in columns]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'
