"""A tiny synthetic semantic segmentation dataset in the COCO-Stuff164k layout.

The images are those of :mod:`.synthetic_shapes` (filled circles, squares and
triangles on a noisy grey background, drawn by the same code); every pixel is
labelled: 0 background, 1 + the shape's index in ``SHAPE_CLASSES`` inside a shape.
Some shapes get a thin border labelled 255 (ignored by the loss and by mmseg's
``IoUMetric``), so the ignore path is exercised as on the real dataset. The output
is laid out as mmseg's ``COCOStuffDataset`` expects::

    OUT/images/train2017/000000000000.jpg ...
    OUT/images/val2017/000000000000.jpg ...
    OUT/annotations/train2017/000000000000_labelTrainIds.png ...
    OUT/annotations/val2017/000000000000_labelTrainIds.png ...

so a config only changes ``data_root`` and the classes (with 4 classes use
``BaseSegDataset`` with COCOStuffDataset's suffixes: COCOStuffDataset refuses class
names that are not COCO-Stuff's).

Everything is drawn from the seed. Label maps are PNG and byte-identical across runs;
images are JPEG (the suffix COCO-Stuff uses), written at a fixed quality and chroma
subsampling, which gives identical bytes with the same libjpeg (Pillow wheel).
"""
import os
import os.path as osp
from typing import Dict, Tuple, Union

import numpy as np
from PIL import Image, ImageDraw

from .synthetic_shapes import (SHAPE_CLASSES, SHAPE_PALETTE, _draw_settings,
                               _make_image)

__all__ = ['STUFF_CLASSES', 'STUFF_PALETTE', 'IGNORE_INDEX', 'generate_shapes_stuff']

STUFF_CLASSES = ('background', ) + SHAPE_CLASSES
STUFF_PALETTE = [(128, 128, 128)] + list(SHAPE_PALETTE)
IGNORE_INDEX = 255

# COCO-Stuff164k's folders and mmseg COCOStuffDataset's default suffixes.
SPLIT_DIRS = {'train': 'train2017', 'val': 'val2017'}
IMG_SUFFIX = '.jpg'
SEG_MAP_SUFFIX = '_labelTrainIds.png'
# 4:4:4 keeps the colour edges where the labels are; fixed so the bytes are too.
_JPEG_ARGS = dict(quality=95, subsampling=0)


def _label_map(rng: np.random.RandomState, objects, width: int, height: int,
               ignore_border_prob: float, ignore_border_width: int) -> np.ndarray:
    """Rasterise ``objects`` (in drawing order, so later shapes cover earlier ones,
    as in the image) with the same PIL polygon fill that drew them."""
    labels = Image.new('L', (width, height), 0)
    draw = ImageDraw.Draw(labels)
    for obj in objects:
        points = [tuple(p) for p in obj['polygon'].tolist()]
        draw.polygon(points, fill=obj['label'] + 1)
        # drawn for every object so the stream does not depend on the probability
        if rng.uniform() < ignore_border_prob and ignore_border_width > 0:
            draw.polygon(points, outline=IGNORE_INDEX, width=ignore_border_width)
    return np.asarray(labels)


def _make_split(out_dir: str, split: str, num_images: int, seed, width: int,
                height: int, ignore_border_prob: float, ignore_border_width: int,
                **draw_kwargs) -> Dict[str, Union[str, int]]:
    rng = np.random.RandomState(seed)
    img_dir = osp.join(out_dir, 'images', SPLIT_DIRS[split])
    seg_dir = osp.join(out_dir, 'annotations', SPLIT_DIRS[split])
    os.makedirs(img_dir, exist_ok=True)
    os.makedirs(seg_dir, exist_ok=True)
    counts = np.zeros(256, dtype=np.int64)
    for index in range(num_images):
        pixels, objects = _make_image(rng, width, height, **draw_kwargs)
        labels = _label_map(rng, objects, width, height, ignore_border_prob,
                            ignore_border_width)
        name = f'{index:012d}'  # COCO's file names
        Image.fromarray(pixels).save(osp.join(img_dir, name + IMG_SUFFIX),
                                     **_JPEG_ARGS)
        Image.fromarray(labels).save(osp.join(seg_dir, name + SEG_MAP_SUFFIX))
        counts += np.bincount(labels.ravel(), minlength=256)
    return dict(img_dir=img_dir, seg_map_dir=seg_dir, num_images=num_images,
                class_pixels={c: int(counts[i]) for i, c in enumerate(STUFF_CLASSES)},
                ignored_pixels=int(counts[IGNORE_INDEX]))


def generate_shapes_stuff(out_dir: str,
                          num_train: int = 200,
                          num_val: int = 50,
                          image_size: Union[int, Tuple[int, int]] = 128,
                          seed: int = 0,
                          max_objects: int = 3,
                          size_range: Tuple[float, float] = (0.25, 0.6),
                          max_iou: float = 0.1,
                          ignore_border_prob: float = 0.5,
                          ignore_border_width: int = 2,
                          noise_std: float = 8.,
                          colour_jitter: int = 20,
                          circle_vertices: int = 32) -> Dict[str, dict]:
    """Write a synthetic shapes segmentation dataset in the COCO-Stuff164k layout.

    Files already in ``out_dir`` are overwritten where names clash and otherwise
    left alone (mmseg lists every file of the folders: use a fresh ``out_dir`` when
    writing fewer images than before).

    Args:
        out_dir (str): Output folder (``data_root`` in a config).
        num_train (int): Number of training images. Defaults to 200.
        num_val (int): Number of validation images. Defaults to 50.
        image_size (int | tuple[int, int]): Side of the square images, or
            ``(width, height)``. Defaults to 128.
        seed (int): Seed of everything; train and val come from two independent
            streams derived from it. Defaults to 0.
        max_objects (int): Each image gets 1 to ``max_objects`` shapes (fewer when
            no placement is found). Defaults to 3.
        size_range (tuple[float, float]): Diameter of a shape's circumcircle as a
            fraction of the shorter side. Defaults to (0.25, 0.6).
        max_iou (float): Largest box IoU between two shapes. Defaults to 0.1.
        ignore_border_prob (float): Chance that a shape gets an ignored border.
            Defaults to 0.5.
        ignore_border_width (int): Width in pixels of that border (drawn on the
            shape's outline; 0 disables it). Defaults to 2.
        noise_std (float): Std of the Gaussian pixel noise. Defaults to 8.
        colour_jitter (int): Largest per-channel offset from the class colour.
            Defaults to 20.
        circle_vertices (int): Vertices of the polygon that draws a circle.
            Defaults to 32.

    Returns:
        dict[str, dict]: For ``'train'`` and ``'val'``: ``img_dir``,
        ``seg_map_dir``, ``num_images``, ``class_pixels`` (pixels per class name)
        and ``ignored_pixels``.
    """
    width, height, draw_kwargs = _draw_settings(image_size, max_objects, size_range,
                                                max_iou, noise_std, colour_jitter,
                                                circle_vertices)
    # As generate_shapes_coco: RandomState streams are stable across numpy versions
    # and [seed, split] separates the splits.
    return {
        split: _make_split(out_dir, split, num, [seed, split_index], width, height,
                           ignore_border_prob, ignore_border_width, **draw_kwargs)
        for split_index, (split, num) in enumerate((('train', num_train),
                                                    ('val', num_val)))
    }
