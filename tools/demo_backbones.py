"""Build every ShuffleNet variant, run one image through it and print what comes out.

    python tools/demo_backbones.py [--size H W]

For each backbone: every feature map it can output (name, channels, stride and the
shape it had), its FLOPs counted as the papers count them (multiply-adds of the
convolutions and a 1000-class FC at 224x224) beside the papers' figure, and its
parameters with that FC.
"""
import argparse

import torch

from shufflenet_backbones.registry import MODELS
from shufflenet_backbones.utils import classifier_multiply_adds, classifier_params

# (config, paper MFLOPs or None where the papers give none)
VARIANTS = [
    (dict(type='ShuffleNetV1', groups=3, widen_factor=0.5), 38),
    (dict(type='ShuffleNetV1', groups=3, widen_factor=1.0), 137),
    (dict(type='ShuffleNetV1', groups=8, widen_factor=1.0), 137),
    (dict(type='ShuffleNetV1', groups=3, widen_factor=2.0), 524),
    (dict(type='ShuffleNetV2', widen_factor=0.5), 41),
    (dict(type='ShuffleNetV2', widen_factor=1.0), 146),
    (dict(type='ShuffleNetV2', widen_factor=1.5), 299),
    (dict(type='ShuffleNetV2', widen_factor=2.0), 591),
    (dict(type='ShuffleNetV2Star', widen_factor=0.5), None),
    (dict(type='ShuffleNetV2Star', widen_factor=1.0), None),
    (dict(type='ShuffleNetV2Star', widen_factor=1.5), None),
    (dict(type='ShuffleNetV2Star', widen_factor=2.0), None),
]


def describe(cfg: dict, paper_mflops, size) -> None:
    probe = MODELS.build(cfg)
    every_index = tuple(f.index for f in probe.all_features)
    model = MODELS.build(dict(cfg, out_indices=every_index)).eval()
    with torch.no_grad():
        outs = model(torch.rand(1, 3, *size))
    args = ', '.join(f'{k}={v}' for k, v in cfg.items() if k != 'type')
    mflops = classifier_multiply_adds(model) / 1e6
    paper = f'paper {paper_mflops}' if paper_mflops else 'paper -'
    print(f'{cfg["type"]}({args}): {mflops:.1f} MFLOPs ({paper}), '
          f'{classifier_params(model) / 1e6:.3f} M params with a 1000-class FC')
    for info, out in zip(model.feature_info, outs):
        print(f'    out_indices {info.index:>2}  {info.name:<7} stride {info.stride:>2}'
              f'  channels {info.channels:>4}  shape {tuple(out.shape)}')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--size', type=int, nargs=2, default=(224, 224),
                        metavar=('H', 'W'), help='input size for the shapes shown')
    args = parser.parse_args()
    if min(args.size) < 32:
        parser.error(f'--size must be at least 32x32 (stride 32), got {args.size}')
    torch.manual_seed(0)
    for cfg, paper_mflops in VARIANTS:
        describe(cfg, paper_mflops, args.size)


if __name__ == '__main__':
    main()
