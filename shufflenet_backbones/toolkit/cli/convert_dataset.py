"""Convert a VOC, YOLO, CSV, LabelMe or COCO dataset into this project's COCO folder.

The command line of ``tools/data/convert.py``; the work is done by
:mod:`shufflenet_backbones.toolkit.data.formats`.
"""
import argparse
import time
from typing import Dict, List, Optional

from ..data.formats import (FORMATS, SourceDataset, convert_dataset,
                            read_class_names)
from ..errors import CLIError, fail

PROG = 'convert.py'


def _fraction(text: str) -> float:
    """argparse type of --val-fraction: a number in (0, 1)."""
    try:
        value = float(text)
    except ValueError:
        value = -1.
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(
            f'must be a number between 0 and 1 (exclusive), got {text!r}')
    return value


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
    return parser.parse_args(argv)


def describe(dataset: SourceDataset, written: Dict[str, dict],
             args: argparse.Namespace, seconds: float) -> List[str]:
    """The lines the command prints after converting: what was read (and the
    notes), the split, what was written, and how to train on it."""
    num_boxes = sum(len(im.boxes) for im in dataset.images)
    empty = sum(not im.boxes for im in dataset.images)
    lines = [
        f'Read {len(dataset.images)} images ({empty} without objects) and '
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
            seed=args.seed, copy=args.copy, classes=classes)
        seconds = time.perf_counter() - start
    except CLIError as err:
        fail(PROG, err)
    print('\n'.join(describe(dataset, written, args, seconds)))
    return 0
