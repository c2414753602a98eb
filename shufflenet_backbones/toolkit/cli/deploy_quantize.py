"""Static INT8 post-training quantization of an exported model.

The command line of ``tools/deploy/quantize.py``; the work is done by
:mod:`shufflenet_backbones.toolkit.deploy.quantize`.
"""
import argparse
import sys
from typing import Optional, Sequence

from ..deploy.quantize import quantize
from ..errors import CLIError

PROG = 'quantize.py'


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split('\n')[0])
    parser.add_argument('model', help='ONNX file written by tools/deploy/export.py')
    parser.add_argument('--calib', required=True,
                        help='a folder of images, or a config whose training '
                        'images calibrate the activation ranges')
    parser.add_argument('--out', required=True, help='the INT8 ONNX file to write')
    parser.add_argument('--num-images', type=int, default=32,
                        help='calibration images (default: 32)')
    args = parser.parse_args(argv)
    try:
        quantize(args.model, args.calib, args.out, args.num_images)
    except CLIError as err:
        print(f'{PROG}: error: {err}', file=sys.stderr)
        sys.exit(1)
    print(f'wrote {args.out}')
