"""Write the synthetic shapes segmentation dataset (COCO-Stuff164k layout) used by
the segmentation demo and tests.

    python tools/data/generate_shapes_stuff.py OUT [--num-train 200] [--num-val 50]
        [--size 128] [--max-objects 3] [--seed 0]

OUT gets ``images/{train2017,val2017}/*.jpg`` and
``annotations/{train2017,val2017}/*_labelTrainIds.png`` (0 background, 1-3 circle /
square / triangle, 255 ignored borders); point a config's ``data_root`` at it. The
same arguments give the same files. See
:func:`shufflenet_backbones.datasets.synthetic_stuff.generate_shapes_stuff`.
"""
import argparse

from shufflenet_backbones.datasets.generator_args import (add_generator_args,
                                                          positive_int)
from shufflenet_backbones.datasets.synthetic_stuff import generate_shapes_stuff


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Generate a synthetic circle / square / triangle segmentation '
        'dataset in the COCO-Stuff164k layout')
    add_generator_args(parser, num_train=200, num_val=50, size=128)
    parser.add_argument('--max-objects', type=positive_int, default=3,
                        help='at most this many shapes per image (default: 3)')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
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


if __name__ == '__main__':
    main()
