"""Build every ShuffleNet variant, run one image through it and print what comes out.

    python tools/demo_backbones.py [--size H W]

For each backbone of :data:`.flops.VARIANTS`: every feature map it can output (name,
channels, stride and the shape it had), its FLOPs counted as the papers count them
(multiply-adds of the convolutions and a 1000-class FC at 224x224) beside the
papers' figure, and its parameters with that FC.
"""
from typing import Optional, Sequence

import torch

from .complexity import classifier_multiply_adds, classifier_params


def describe(cls: type, kwargs: dict, paper_mflops: Optional[float],
             size: Sequence[int]) -> None:
    every_index = tuple(f.index for f in cls(**kwargs).all_features)
    model = cls(out_indices=every_index, **kwargs).eval()
    with torch.no_grad():
        outs = model(torch.rand(1, 3, *size))
    args = ', '.join(f'{k}={v}' for k, v in kwargs.items())
    mflops = classifier_multiply_adds(model) / 1e6
    paper = f'paper {paper_mflops}' if paper_mflops else 'paper -'
    print(f'{cls.__name__}({args}): {mflops:.1f} MFLOPs ({paper}), '
          f'{classifier_params(model) / 1e6:.3f} M params with a 1000-class FC')
    for info, out in zip(model.feature_info, outs):
        print(f'    out_indices {info.index:>2}  {info.name:<7} stride {info.stride:>2}'
              f'  channels {info.channels:>4}  shape {tuple(out.shape)}')
