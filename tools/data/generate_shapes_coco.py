"""Write the synthetic shapes dataset (COCO format) used by the demos and tests.

    python tools/data/generate_shapes_coco.py OUT [--num-train 200] [--num-val 50]
        [--size 128] [--max-objects 2] [--seed 0]

OUT gets ``annotations/instances_{train,val}.json`` and the ``train/`` and ``val/``
image folders; point a config's ``data_root`` at it. The same arguments always give
the same files. See :func:`shufflenet_backbones.datasets.generate_shapes_coco`.
"""
import argparse

from shufflenet_backbones.datasets.generator_args import (add_generator_args,
                                                          positive_int)
from shufflenet_backbones.datasets.synthetic_shapes import generate_shapes_coco


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Generate a synthetic circle / square / triangle dataset in '
        'COCO format')
    add_generator_args(parser, num_train=200, num_val=50, size=128)
    parser.add_argument('--max-objects', type=positive_int, default=2,
                        help='at most this many objects per image (default: 2)')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    splits = generate_shapes_coco(args.out_dir, num_train=args.num_train,
                                  num_val=args.num_val, image_size=args.size,
                                  max_objects=args.max_objects, seed=args.seed)
    for split, info in splits.items():
        print(f'{split}: {info["num_images"]} images, {info["num_instances"]} '
              f'objects -> {info["ann_file"]}, {info["img_dir"]}/')


if __name__ == '__main__':
    main()
