"""Run an exported model on images in onnxruntime or OpenVINO.

The command line of ``tools/deploy/infer.py``; the work is done by
:mod:`shufflenet_backbones.toolkit.deploy.backend_inferencers`.
"""
import argparse
from typing import Optional, Sequence

from ..deploy.backend_inferencers import DEFAULT_OUT_DIR, infer
from ..deploy.runtime import BACKENDS
from ..errors import CLIError, fail
from .infer import add_slice_args, slice_settings

PROG = 'infer.py'


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split('\n')[0])
    parser.add_argument('model', help='ONNX file written by tools/deploy/export.py')
    parser.add_argument('inputs', nargs='+', metavar='IMAGE_OR_DIR',
                        help='image files, or folders whose images are read')
    parser.add_argument('--backend', choices=BACKENDS, default='onnxruntime',
                        help='the runtime (default: onnxruntime)')
    parser.add_argument('--out-dir', default=DEFAULT_OUT_DIR,
                        help=f'where the outputs go (default: {DEFAULT_OUT_DIR})')
    parser.add_argument('--score-thr', type=float, default=0.3,
                        help='detection: draw the boxes scoring above this')
    parser.add_argument('--threads', type=int, default=None,
                        help='runtime threads (default: the runtime\'s choice)')
    add_slice_args(parser)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    try:
        lines = infer(args.model, args.inputs, args.backend, args.out_dir,
                      args.score_thr, args.threads, slice_settings(args))
    except (CLIError, ValueError) as err:  # ValueError: an image too large
        fail(PROG, err)
    print('\n'.join(lines))
    print(f'outputs in {args.out_dir}/')
