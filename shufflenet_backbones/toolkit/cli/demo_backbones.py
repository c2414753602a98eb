"""Build every ShuffleNet variant and print the feature maps it outputs.

The command line of ``tools/demo_backbones.py``; the work is done by
:mod:`shufflenet_backbones.toolkit.analysis.backbone_summary`.
"""
import argparse

import torch

from ..analysis.backbone_summary import describe
from ..analysis.flops import VARIANTS


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--size', type=int, nargs=2, default=(224, 224),
                        metavar=('H', 'W'), help='input size for the shapes shown')
    args = parser.parse_args(argv)
    if min(args.size) < 32:
        parser.error(f'--size must be at least 32x32 (stride 32), got {args.size}')
    torch.manual_seed(0)
    for variant in VARIANTS:
        describe(variant.cls, variant.kwargs, variant.paper_mflops, args.size)
