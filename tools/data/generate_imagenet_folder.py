"""Write the synthetic shapes classification dataset (mmpretrain's ImageNet layout)
used to try the ImageNet pretraining configs without ImageNet.

    python tools/data/generate_imagenet_folder.py OUT [--num-train 100]
        [--num-val 20] [--size 64] [--seed 0]

OUT gets ``{train,val}/<wnid>/*.png`` (three classes: circle, square, triangle under
ImageNet's first three wnids, labels 0-2) and ``meta/{train,val}.txt``; point a
config's ``data_root`` at it. The same arguments give the same files. See
:func:`shufflenet_backbones.datasets.synthetic_imagenet.generate_imagenet_folder`.
"""
import argparse

from shufflenet_backbones.datasets.generator_args import add_generator_args
from shufflenet_backbones.datasets.synthetic_imagenet import generate_imagenet_folder


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Generate a synthetic circle / square / triangle classification '
        'dataset in mmpretrain\'s ImageNet layout')
    add_generator_args(parser, num_train=100, num_val=20, size=64,
                       counted='images per class')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    splits = generate_imagenet_folder(
        args.out_dir, per_class=dict(train=args.num_train, val=args.num_val),
        image_size=args.size, seed=args.seed)
    for split, info in splits.items():
        print(f'{split}: {info["num_images"]} images -> {info["img_dir"]}/, '
              f'labels in {info["ann_file"]}')


if __name__ == '__main__':
    main()
