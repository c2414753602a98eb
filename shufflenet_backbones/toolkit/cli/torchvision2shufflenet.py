"""Convert torchvision's ShuffleNetV2 weights to this package's keys.

The command line of ``tools/model_converters/torchvision2shufflenet.py``; the work
is done by :mod:`shufflenet_backbones.toolkit.weights.torchvision_keys`.
"""
import argparse

import torch

from ...checkpoint.state_dict import save_state_dict
from ..weights.torchvision_keys import convert


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='torchvision checkpoint (.pth)')
    parser.add_argument('dst', help='where to write the converted checkpoint')
    args = parser.parse_args(argv)

    checkpoint = torch.load(args.src, map_location='cpu', weights_only=True)
    state_dict = checkpoint.get('state_dict', checkpoint.get('model', checkpoint))
    converted = convert(state_dict)
    stage2 = converted['backbone.layers.0.0.branch2.2.conv.weight'].shape[0] * 2
    meta = dict(converted_from='torchvision ShuffleNetV2', source=args.src,
                stage2_channels=stage2)
    save_state_dict(converted, meta, args.dst)
    print(f'wrote {len(converted)} tensors to {args.dst} (stage 2 width {stage2})')
