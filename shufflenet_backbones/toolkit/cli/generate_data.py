"""The command lines of the dataset generators (``tools/data/generate_*.py``):
their shared arguments and one ``*_main`` per generator."""
import argparse
from typing import List, Optional

from ..data.synthetic_imagenet import generate_imagenet_folder
from ..data.synthetic_shapes import generate_shapes_coco
from ..data.synthetic_stuff import generate_shapes_stuff

__all__ = [
    'positive_int', 'add_generator_args', 'generate_shapes_coco_main',
    'generate_shapes_stuff_main', 'generate_imagenet_folder_main'
]


def positive_int(text: str) -> int:
    """argparse type for counts and sizes: a bad value is reported by argparse,
    naming the option (``argument --size: must be a positive integer, got '0'``)."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f'must be a positive integer, got {text!r}')
    return int(text)


def add_generator_args(parser: argparse.ArgumentParser, num_train: int,
                       num_val: int, size: int, counted: str = 'images') -> None:
    """Add OUT, ``--num-train``, ``--num-val``, ``--size`` and ``--seed`` with the
    given defaults; ``counted`` says what the two counts count."""
    parser.add_argument('out_dir', help='output folder (a config\'s data_root)')
    parser.add_argument('--num-train', type=positive_int, default=num_train,
                        help=f'training {counted} (default: {num_train})')
    parser.add_argument('--num-val', type=positive_int, default=num_val,
                        help=f'validation {counted} (default: {num_val})')
    parser.add_argument('--size', type=positive_int, default=size,
                        help=f'side of the square images in pixels (default: {size})')
    parser.add_argument('--seed', type=int, default=0, help='random seed')


def _parser(description: str, max_objects: Optional[int] = None,
            **defaults) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    add_generator_args(parser, **defaults)
    if max_objects is not None:
        parser.add_argument(
            '--max-objects', type=positive_int, default=max_objects,
            help=f'at most this many objects per image (default: {max_objects})')
    return parser


def generate_shapes_coco_main(argv: Optional[List[str]] = None) -> None:
    args = _parser('Generate a synthetic circle / square / triangle dataset in '
                   'COCO format', max_objects=2, num_train=200, num_val=50,
                   size=128).parse_args(argv)
    splits = generate_shapes_coco(args.out_dir, num_train=args.num_train,
                                  num_val=args.num_val, image_size=args.size,
                                  max_objects=args.max_objects, seed=args.seed)
    for split, info in splits.items():
        print(f'{split}: {info["num_images"]} images, {info["num_instances"]} '
              f'objects -> {info["ann_file"]}, {info["img_dir"]}/')


def generate_shapes_stuff_main(argv: Optional[List[str]] = None) -> None:
    args = _parser('Generate a synthetic circle / square / triangle segmentation '
                   'dataset in the COCO-Stuff164k layout', max_objects=3,
                   num_train=200, num_val=50, size=128).parse_args(argv)
    splits = generate_shapes_stuff(args.out_dir, num_train=args.num_train,
                                   num_val=args.num_val, image_size=args.size,
                                   seed=args.seed, max_objects=args.max_objects)
    for split, info in splits.items():
        total = sum(info['class_pixels'].values()) + info['ignored_pixels']
        shares = ', '.join(f'{name} {count / total:.0%}'
                           for name, count in info['class_pixels'].items())
        print(f'{split}: {info["num_images"]} images -> {info["img_dir"]}/, '
              f'{info["seg_map_dir"]}/ (pixels: {shares}, ignored '
              f'{info["ignored_pixels"] / total:.1%})')


def generate_imagenet_folder_main(argv: Optional[List[str]] = None) -> None:
    args = _parser('Generate a synthetic circle / square / triangle classification '
                   'dataset in mmpretrain\'s ImageNet layout', num_train=100,
                   num_val=20, size=64,
                   counted='images per class').parse_args(argv)
    splits = generate_imagenet_folder(
        args.out_dir, per_class=dict(train=args.num_train, val=args.num_val),
        image_size=args.size, seed=args.seed)
    for split, info in splits.items():
        print(f'{split}: {info["num_images"]} images -> {info["img_dir"]}/, '
              f'labels in {info["ann_file"]}')
