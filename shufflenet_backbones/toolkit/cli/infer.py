"""Detect objects in your own images with a trained detector.

The command line of ``tools/infer.py``; the work is done by
:mod:`shufflenet_backbones.toolkit.inference.inferencer`.
"""
import argparse
import os.path as osp
from typing import Optional, Sequence

from ..errors import CLIError, fail
from ..inference.inferencer import DEFAULT_OUT_DIR, PROG, infer


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description='Detect objects in images with a trained detector; writes the '
        'drawn images (OUT_DIR/vis/) and the predictions as JSON (OUT_DIR/preds/).')
    parser.add_argument('config', help='the detector\'s config file')
    parser.add_argument('checkpoint', help='its trained weights (.pth)')
    parser.add_argument(
        'inputs', nargs='+', metavar='IMAGE_OR_DIR',
        help='image files, or folders whose images (not sub-folders) are read')
    parser.add_argument(
        '--out-dir', default=DEFAULT_OUT_DIR,
        help=f'where vis/ and preds/ are written (default: {DEFAULT_OUT_DIR})')
    parser.add_argument(
        '--score-thr', type=float, default=0.3,
        help='draw the boxes scoring above this (default: 0.3); the JSON files '
        'hold every prediction')
    parser.add_argument(
        '--device', default=None,
        help='cpu, cuda or cuda:N (default: cuda when a GPU is visible, else cpu)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    try:
        summary = infer(args.config, args.checkpoint, args.inputs, args.out_dir,
                        args.score_thr, args.device)
    except CLIError as err:
        fail(PROG, err)
    for result in summary:
        found = ', '.join(f'{label} {score:.2f}' for label, score in
                          result['objects']) or 'nothing'
        print(f'{result["image"]}: {found}')
    print(f'{len(summary)} image(s): drawn (score > {args.score_thr}) in '
          f'{osp.join(args.out_dir, "vis")}/, every prediction as JSON in '
          f'{osp.join(args.out_dir, "preds")}/')
