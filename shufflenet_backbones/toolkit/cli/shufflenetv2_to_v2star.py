"""Write the ShuffleNetV2* version of a ShuffleNetV2 checkpoint.

The command line of ``tools/model_converters/shufflenetv2_to_v2star.py``; the work
is done by :mod:`shufflenet_backbones.toolkit.weights.v2star_conversion`.
"""
import argparse
import sys

from ..weights.v2star_conversion import ConversionError, convert


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='ShuffleNetV2 checkpoint (.pth)')
    parser.add_argument('dst', help='where to write the ShuffleNetV2Star checkpoint')
    parser.add_argument('--bn-eps', type=float, default=1e-5,
                        help='BN eps of the V2* config (default: 1e-5, mmcv\'s)')
    args = parser.parse_args(argv)
    try:
        meta = convert(args.src, args.dst, args.bn_eps)
    except ConversionError as err:
        print(f'shufflenetv2_to_v2star.py: error: {err}', file=sys.stderr)
        sys.exit(1)
    print(f'wrote {meta["num_tensors"]} tensors ({meta["widen_factor"]}x '
          f'ShuffleNetV2Star from V2, extra convs = identity) to {args.dst}')
