"""A tiny synthetic image classification dataset in mmpretrain's ImageNet layout.

Every image shows one large shape of :mod:`.synthetic_shapes`, drawn by the same code
(filled, in its class colour, on a noisy grey background); the class is the shape:
circle, square or triangle. Colour and outline both tell the classes apart, so a
classifier trained from random init learns them within a few iterations. The
classes are stored under the first three ImageNet-1k wnids, so that their labels
0-2 are those of ImageNet's (sorted) class order and the ImageNet configs run on the
folder with only ``data_root`` changed::

    OUT/train/n01440764/n01440764_000000.png ...  (circles)
    OUT/train/n01443537/...                       (squares)
    OUT/train/n01484850/...                       (triangles)
    OUT/val/...
    OUT/meta/train.txt  ("n01440764/n01440764_000000.png 0", one image a line)
    OUT/meta/val.txt

mmpretrain's ``ImageNet(split=...)`` takes the labels from ``meta/<split>.txt``;
without those files it would expect ImageNet's 1000 class folders. A
``CustomDataset`` without ``ann_file`` scans the class folders instead (labels in
sorted folder order: the same labels).

Everything is drawn from the seed: the same arguments give byte-identical files
(PNG, as for the detection set).
"""
import os
import os.path as osp
from numbers import Integral
from typing import Dict, Optional, Tuple, Union

import numpy as np
from PIL import Image

from .synthetic_shapes import _draw_settings, _make_image

__all__ = ['SHAPE_WNIDS', 'generate_imagenet_folder']

# ImageNet-1k's first three wnids in sorted order (labels 0, 1, 2), one per shape
# of SHAPE_CLASSES, in that order.
SHAPE_WNIDS = ('n01440764', 'n01443537', 'n01484850')
# mmpretrain's ImageNet splits that carry labels, each with its own random stream.
_SPLITS = ('train', 'val')


def _check_per_class(per_class) -> None:
    if not isinstance(per_class, dict) or not per_class:
        raise ValueError('per_class must be a non-empty dict of split name to '
                         f'images per class, got {per_class!r}')
    for split, num in per_class.items():
        if split not in _SPLITS:
            raise ValueError(f'per_class: unknown split {split!r}; the splits are '
                             f'{_SPLITS}')
        if not isinstance(num, Integral) or num < 1:
            raise ValueError(f'per_class[{split!r}] must be a positive int, got '
                             f'{num!r}')


def _make_split(out_dir: str, split: str, num_per_class: int, seed, width: int,
                height: int, **draw_kwargs) -> Dict[str, Union[str, int]]:
    """Write the class folders and the meta file of one split."""
    rng = np.random.RandomState(seed)
    img_dir = osp.join(out_dir, split)
    ann_file = osp.join(out_dir, 'meta', f'{split}.txt')
    os.makedirs(osp.dirname(ann_file), exist_ok=True)
    lines = []
    for label, wnid in enumerate(SHAPE_WNIDS):
        os.makedirs(osp.join(img_dir, wnid), exist_ok=True)
        for index in range(num_per_class):
            pixels, _ = _make_image(rng, width, height, class_label=label,
                                    **draw_kwargs)
            name = f'{wnid}/{wnid}_{index:06d}.png'
            Image.fromarray(pixels).save(osp.join(img_dir, name))
            lines.append(f'{name} {label}\n')
    with open(ann_file, 'w') as f:
        f.writelines(lines)
    return dict(img_dir=img_dir, ann_file=ann_file, num_images=len(lines))


def generate_imagenet_folder(out_dir: str,
                             per_class: Optional[Dict[str, int]] = None,
                             image_size: Union[int, Tuple[int, int]] = 64,
                             seed: int = 0,
                             size_range: Tuple[float, float] = (0.5, 0.9),
                             noise_std: float = 8.,
                             colour_jitter: int = 20) -> Dict[str, dict]:
    """Write a synthetic shapes classification dataset in mmpretrain's ImageNet
    layout under ``out_dir``.

    Files already in ``out_dir`` are overwritten where names clash and otherwise
    left alone; the meta files list only the images written by this call.

    Args:
        out_dir (str): Output folder (``data_root`` in a config).
        per_class (dict[str, int], optional): Images per class for each split to
            write, ``'train'`` and / or ``'val'``. Defaults to
            ``dict(train=100, val=20)``.
        image_size (int | tuple[int, int]): Side of the square images, or
            ``(width, height)``. Defaults to 64.
        seed (int): Seed of everything; each split has its own stream derived
            from it (the same whichever splits are written). Defaults to 0.
        size_range (tuple[float, float]): Diameter of the shape's circumcircle as
            a fraction of the shorter side. Defaults to (0.5, 0.9).
        noise_std (float): Std of the Gaussian pixel noise. Defaults to 8.
        colour_jitter (int): Largest per-channel offset from the class colour.
            Defaults to 20.

    Returns:
        dict[str, dict]: For each split written: ``img_dir`` and ``ann_file``
        (paths) and ``num_images``.
    """
    per_class = dict(train=100, val=20) if per_class is None else per_class
    _check_per_class(per_class)
    width, height, draw_kwargs = _draw_settings(
        image_size, max_objects=1, size_range=size_range, max_iou=0.,
        noise_std=noise_std, colour_jitter=colour_jitter, circle_vertices=32)
    # As the other generators: RandomState streams are stable across numpy
    # versions, and [seed, split] separates the splits.
    return {
        split: _make_split(out_dir, split, per_class[split],
                           [seed, _SPLITS.index(split)], width, height,
                           **draw_kwargs)
        for split in _SPLITS if split in per_class
    }
