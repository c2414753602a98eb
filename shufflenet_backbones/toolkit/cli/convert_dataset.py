"""Convert a VOC, YOLO, CSV, LabelMe or COCO dataset into this project's COCO folder.

The command line of ``tools/data/convert.py``; the work is done by
:mod:`shufflenet_backbones.toolkit.data.formats`.
"""
import argparse
import time
from typing import Any, Callable, Dict, List, Optional

from ..data.formats import (FORMATS, SourceDataset, convert_dataset,
                            read_class_names)
from ..errors import CLIError, fail

PROG = 'convert.py'


def _checked(cast: Callable[[str], Any], valid: Callable[[Any], bool],
             expected: str) -> Callable[[str], Any]:
    """An argparse type: ``cast(text)``, refused with ``must be <expected>``
    when it fails or is not ``valid``."""

    def parse(text: str):
        try:
            value = cast(text)
        except ValueError:
            value = None
        if value is None or not valid(value):
            raise argparse.ArgumentTypeError(f'must be {expected}, got {text!r}')
        return value

    return parse


_fraction = _checked(float, lambda v: 0 < v < 1,
                     'a number between 0 and 1 (exclusive)')  # --val-fraction
_positive_int = _checked(int, lambda v: v >= 1,
                         'a positive whole number of pixels')  # --tile
_overlap = _checked(float, lambda v: 0 <= v < 1, 'a number in [0, 1)')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description='Convert a VOC, YOLO, CSV, LabelMe or COCO dataset into the '
        'COCO folder tools/data/generate_shapes_coco.py writes and tools/train.py '
        '--data reads: DST/annotations/instances_{train,val}.json, DST/train/, '
        'DST/val/')
    parser.add_argument('src', metavar='SRC',
                        help='the source folder (or file, for csv and coco)')
    parser.add_argument('dst', metavar='DST', help='the output folder (new or empty)')
    parser.add_argument('--from', dest='source_format', required=True,
                        choices=FORMATS, help='the format of SRC')
    parser.add_argument(
        '--val-fraction', type=_fraction, default=0.2,
        help='share of the images for val when SRC has no train / val split of '
        'its own (default: 0.2)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of that split (default: 0)')
    parser.add_argument('--copy', action='store_true',
                        help='copy the images (default: symlink them)')
    parser.add_argument(
        '--classes', metavar='FILE',
        help='class names, one a line, in category-id order (default: the sorted '
        'names found; yolo: SRC/classes.txt, obj.names or data.yaml)')
    parser.add_argument(
        '--tile', type=_positive_int, metavar='SIZE',
        help='cut the images into SIZE x SIZE tiles first (large aerial or '
        'satellite photographs), boxes with them; the split is then one of tiles')
    parser.add_argument(
        '--tile-overlap', type=_overlap, metavar='R',
        help='with --tile: share of a tile its neighbours overlap, in [0, 1) '
        '(default: 0)')
    args = parser.parse_args(argv)
    if args.tile is None and args.tile_overlap is not None:
        parser.error('--tile-overlap needs --tile SIZE')
    if args.tile_overlap is None:
        args.tile_overlap = 0.0
    return args


def describe(dataset: SourceDataset, written: Dict[str, dict],
             args: argparse.Namespace, seconds: float) -> List[str]:
    """The lines the command prints after converting: what was read (and the
    notes), the split, what was written, and how to train on it."""
    num_boxes = sum(len(im.boxes) for im in dataset.images)
    empty = sum(not im.boxes for im in dataset.images)
    lines = [
        f'Read {len(dataset.images)} {"tiles" if args.tile else "images"} '
        f'({empty} without objects) and '
        f'{num_boxes} boxes of {len(dataset.classes)} classes '
        f'({", ".join(dataset.classes)}) from {args.src} ({args.source_format}) in '
        f'{seconds:.2f} s.'
    ]
    lines += [f'note: {note}' for note in dataset.notes]
    if dataset.split_from is not None:
        lines.append(f'Kept the source\'s train / val split ({dataset.split_from}).')
    else:
        lines.append(f'Split: {args.val_fraction:g} of the images to val '
                     f'(--seed {args.seed}).')
    for split, info in written.items():
        lines.append(f"{split}: {info['num_images']} images, "
                     f"{info['num_instances']} boxes -> {info['ann_file']}")
    if args.tile is not None:
        how = 'written as tile files'
    else:
        how = 'copied' if args.copy else 'symlinked (--copy copies them)'
    lines.append(f'Images {how}. Train with: python tools/train.py CONFIG '
                 f'--data {args.dst}')
    return lines


def main(argv: Optional[List[str]] = None) -> int:
    """Command line of ``tools/data/convert.py``; returns 0, or exits with 1 and
    one line on a problem with the input."""
    args = parse_args(argv)
    try:
        classes = read_class_names(args.classes) if args.classes else None
        start = time.perf_counter()
        dataset, written = convert_dataset(
            args.src, args.dst, args.source_format, val_fraction=args.val_fraction,
            seed=args.seed, copy=args.copy, classes=classes, tile=args.tile,
            tile_overlap=args.tile_overlap)
        seconds = time.perf_counter() - start
    except CLIError as err:
        fail(PROG, err)
    print('\n'.join(describe(dataset, written, args, seconds)))
    return 0
