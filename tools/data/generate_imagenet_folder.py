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

from shufflenet_backbones.datasets.synthetic_imagenet import generate_imagenet_folder


def positive_int(text: str) -> int:
    """argparse type: the error then names the option (``argument --size: ...``)."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f'must be a positive integer, got {text!r}')
    return int(text)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Generate a synthetic circle / square / triangle classification '
        'dataset in mmpretrain\'s ImageNet layout')
    parser.add_argument('out_dir', help='output folder (a config\'s data_root)')
    parser.add_argument('--num-train', type=positive_int, default=100,
                        help='training images per class')
    parser.add_argument('--num-val', type=positive_int, default=20,
                        help='validation images per class')
    parser.add_argument('--size', type=positive_int, default=64,
                        help='side of the square images in pixels')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
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
