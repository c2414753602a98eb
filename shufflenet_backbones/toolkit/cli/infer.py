"""Detect objects in your own images with a trained detector.

The command line of ``tools/infer.py``; the work is done by
:mod:`shufflenet_backbones.toolkit.inference.inferencer`.
"""
import argparse
import os.path as osp
from typing import Optional, Sequence

from ..errors import CLIError, fail
from ..inference.inferencer import DEFAULT_OUT_DIR, PROG, infer
from ..inference.slicing import DEFAULT_OVERLAP, SliceSettings


def add_slice_args(parser: argparse.ArgumentParser) -> None:
    """``--slice H W``, ``--overlap R`` and ``--[no-]whole-image``: sliced
    inference (:mod:`shufflenet_backbones.toolkit.inference.slicing`), shared by
    tools/infer.py, tools/test.py and tools/deploy/infer.py. Checked by
    :func:`slice_settings`."""
    # floats, so that 128.5 gets the one-line message rather than argparse's
    parser.add_argument(
        '--slice', nargs=2, type=float, metavar=('H', 'W'), default=None,
        help='predict each image by overlapping tiles of H x W pixels, merged by '
        'NMS (IoU of the config\'s test_cfg, else 0.5) into the image\'s pixels: '
        'for images much larger than the detector\'s input')
    parser.add_argument(
        '--overlap', type=float, default=None, metavar='R',
        help='with --slice: neighbouring tiles overlap by R of a tile, in [0, 1) '
        f'(default: {DEFAULT_OVERLAP})')
    parser.add_argument(
        '--whole-image', action=argparse.BooleanOptionalAction, default=None,
        help='with --slice: also predict the whole image once and merge it with '
        'the tiles, finding objects larger than a tile (SAHI\'s default; '
        'default: on)')


def slice_settings(args: argparse.Namespace) -> Optional[SliceSettings]:
    """The :class:`SliceSettings` of :func:`add_slice_args`' options, None
    without ``--slice``; :class:`CLIError` naming a bad option."""
    return SliceSettings.from_options(args.slice, args.overlap, args.whole_image)


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
    add_slice_args(parser)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    try:
        summary = infer(args.config, args.checkpoint, args.inputs, args.out_dir,
                        args.score_thr, args.device, slice_settings(args))
    except CLIError as err:
        fail(PROG, err)
    for result in summary:
        found = ', '.join(f'{label} {score:.2f}' for label, score in
                          result['objects']) or 'nothing'
        print(f'{result["image"]}: {found}')
    print(f'{len(summary)} image(s): drawn (score > {args.score_thr}) in '
          f'{osp.join(args.out_dir, "vis")}/, every prediction as JSON in '
          f'{osp.join(args.out_dir, "preds")}/')
