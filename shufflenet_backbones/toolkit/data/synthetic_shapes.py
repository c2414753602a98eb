"""A tiny synthetic detection / instance segmentation dataset in COCO format.

Each image shows one or a few large, filled shapes (circle, square, triangle), each
class in its own colour, on a noisy grey background. Objects are big and barely
overlap, so a detector trained from random init on a CPU learns them in minutes,
which is what the demos and smoke tests need.

The output is laid out like ``data/coco``::

    OUT/annotations/instances_train.json
    OUT/annotations/instances_val.json
    OUT/train/000000.png ...
    OUT/val/000000.png ...

Everything is drawn from the seed: the same arguments give byte-identical json and
PNG files (PNG, because JPEG encoders are not guaranteed to be reproducible).
"""
import json
import os
import os.path as osp
from numbers import Integral
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from PIL import Image, ImageDraw

__all__ = ['SHAPE_CLASSES', 'SHAPE_PALETTE', 'generate_shapes_coco']

SHAPE_CLASSES = ('circle', 'square', 'triangle')
# Fill colours (RGB), far apart from each other and from the grey background.
SHAPE_PALETTE = [(220, 40, 40), (40, 170, 40), (40, 70, 220)]

# Placements tried per object before the image is left with fewer objects.
_MAX_PLACEMENT_TRIES = 50


def _shape_polygon(label: int, cx: float, cy: float, radius: float, angle: float,
                   circle_vertices: int) -> np.ndarray:
    """Vertices (N, 2) of a shape inscribed in the circle ``(cx, cy, radius)``."""
    name = SHAPE_CLASSES[label]
    if name == 'circle':
        thetas = 2 * np.pi * np.arange(circle_vertices) / circle_vertices
    elif name == 'square':
        thetas = angle + np.pi / 4 + np.pi / 2 * np.arange(4)
    else:
        thetas = angle + 2 * np.pi / 3 * np.arange(3)
    points = np.stack([cx + radius * np.cos(thetas), cy + radius * np.sin(thetas)], 1)
    # Two decimals keep the json small; bbox and area are computed from these values.
    return np.round(points, 2)


def _polygon_area(points: np.ndarray) -> float:
    """Shoelace formula."""
    x, y = points[:, 0], points[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)


def _polygon_bbox(points: np.ndarray, width: int, height: int) -> List[float]:
    """Tight ``[x, y, w, h]`` box of ``points`` clipped to the image."""
    x1, y1 = np.maximum(points.min(0), 0)
    x2, y2 = np.minimum(points.max(0), (width, height))
    return [round(float(v), 2) for v in (x1, y1, x2 - x1, y2 - y1)]


def _box_iou(a: Sequence[float], b: Sequence[float]) -> float:
    """IoU of two ``[x, y, w, h]`` boxes."""
    inter_w = max(0., min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    inter_h = max(0., min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = inter_w * inter_h
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def _make_image(rng: np.random.RandomState, width: int, height: int,
                max_objects: int, size_range: Tuple[float, float], max_iou: float,
                noise_std: float, colour_jitter: int, circle_vertices: int,
                class_label: Optional[int] = None) -> Tuple[np.ndarray, List[dict]]:
    """Draw one image and return it (H, W, 3 uint8) with its objects.

    Each object is a dict with ``label``, ``polygon`` (N, 2), ``bbox`` and ``area``.
    Every object is of class ``class_label`` when it is given, else of a random one.
    """
    background = int(rng.randint(70, 186))
    image = Image.new('RGB', (width, height), (background, ) * 3)
    draw = ImageDraw.Draw(image)
    objects = []
    for _ in range(rng.randint(1, max_objects + 1)):
        # The class is drawn before placement so rejected placements cannot bias it.
        label = (int(rng.randint(len(SHAPE_CLASSES)))
                 if class_label is None else class_label)
        for _ in range(_MAX_PLACEMENT_TRIES):
            radius = rng.uniform(*size_range) * min(width, height) / 2
            cx = rng.uniform(radius, width - radius)
            cy = rng.uniform(radius, height - radius)
            polygon = _shape_polygon(label, cx, cy, radius,
                                     rng.uniform(0, 2 * np.pi), circle_vertices)
            bbox = _polygon_bbox(polygon, width, height)
            if all(_box_iou(bbox, obj['bbox']) <= max_iou for obj in objects):
                break
        else:
            continue
        jitter = rng.randint(-colour_jitter, colour_jitter + 1, size=3)
        colour = np.clip(np.array(SHAPE_PALETTE[label]) + jitter, 0, 255)
        draw.polygon([tuple(p) for p in polygon.tolist()], fill=tuple(colour.tolist()))
        objects.append(
            dict(label=label, polygon=polygon, bbox=bbox,
                 area=round(_polygon_area(polygon), 2)))
    pixels = np.asarray(image, dtype=np.float64)
    pixels = pixels + rng.normal(0, noise_std, size=pixels.shape)
    return np.clip(np.round(pixels), 0, 255).astype(np.uint8), objects


def _make_split(out_dir: str, split: str, num_images: int, seed: Sequence[int],
                width: int, height: int, **draw_kwargs) -> Dict[str, Union[str, int]]:
    """Write the images and the annotation file of one split."""
    rng = np.random.RandomState(seed)
    img_dir = osp.join(out_dir, split)
    ann_file = osp.join(out_dir, 'annotations', f'instances_{split}.json')
    os.makedirs(img_dir, exist_ok=True)
    os.makedirs(osp.dirname(ann_file), exist_ok=True)

    images, annotations = [], []
    for index in range(num_images):
        pixels, objects = _make_image(rng, width, height, **draw_kwargs)
        file_name = f'{index:06d}.png'
        Image.fromarray(pixels).save(osp.join(img_dir, file_name))
        image_id = index + 1
        images.append(
            dict(id=image_id, file_name=file_name, width=width, height=height))
        for obj in objects:
            annotations.append(
                dict(id=len(annotations) + 1, image_id=image_id,
                     category_id=obj['label'] + 1,
                     segmentation=[obj['polygon'].ravel().tolist()],
                     area=obj['area'], bbox=obj['bbox'], iscrowd=0))
    coco = dict(
        info=dict(description=f'synthetic shapes, {split} split'),
        images=images,
        annotations=annotations,
        categories=[
            dict(id=i + 1, name=name, supercategory='shape')
            for i, name in enumerate(SHAPE_CLASSES)
        ])
    with open(ann_file, 'w') as f:
        json.dump(coco, f)
    return dict(ann_file=ann_file, img_dir=img_dir, num_images=len(images),
                num_instances=len(annotations))


def _draw_settings(image_size, max_objects, size_range, max_iou, noise_std,
                   colour_jitter, circle_vertices) -> Tuple[int, int, dict]:
    """Check the drawing arguments shared by the generators; returns the image
    width, height and the keyword arguments of :func:`_make_image`."""
    size = ((image_size, image_size) if isinstance(image_size, Integral) else
            tuple(image_size))
    if len(size) != 2 or not all(isinstance(v, Integral) and v > 0 for v in size):
        raise ValueError('image_size must be a positive int or a (width, height) '
                         f'pair of them, got {image_size!r}')
    width, height = (int(v) for v in size)
    if not 0 < size_range[0] <= size_range[1] <= 1:
        raise ValueError(f'size_range must satisfy 0 < low <= high <= 1, '
                         f'got {size_range}')
    if max_objects < 1:
        raise ValueError(f'max_objects must be at least 1, got {max_objects}')
    for name, value, low in (('noise_std', noise_std, 0),
                             ('colour_jitter', colour_jitter, 0),
                             ('circle_vertices', circle_vertices, 3)):
        if value < low:
            raise ValueError(f'{name} must be at least {low}, got {value}')
    return width, height, dict(max_objects=max_objects, size_range=tuple(size_range),
                               max_iou=max_iou, noise_std=noise_std,
                               colour_jitter=colour_jitter,
                               circle_vertices=circle_vertices)


def generate_shapes_coco(out_dir: str,
                         num_train: int = 200,
                         num_val: int = 50,
                         image_size: Union[int, Tuple[int, int]] = 128,
                         max_objects: int = 2,
                         seed: int = 0,
                         size_range: Tuple[float, float] = (0.25, 0.6),
                         max_iou: float = 0.1,
                         noise_std: float = 8.,
                         colour_jitter: int = 20,
                         circle_vertices: int = 32) -> Dict[str, dict]:
    """Write a synthetic shapes dataset in COCO format under ``out_dir``.

    Files already in ``out_dir`` are overwritten where names clash and otherwise left
    alone; the annotation files list only the images written by this call.

    Args:
        out_dir (str): Output folder (``data_root`` in a config).
        num_train (int): Number of training images. Defaults to 200.
        num_val (int): Number of validation images. Defaults to 50.
        image_size (int | tuple[int, int]): Side of the square images, or
            ``(width, height)``. Defaults to 128.
        max_objects (int): Each image gets between 1 and ``max_objects`` objects
            (fewer when no placement within ``max_iou`` is found). Defaults to 2.
        seed (int): Seed of everything. Train and val are drawn from two
            independent streams derived from it. Defaults to 0.
        size_range (tuple[float, float]): Diameter of the circle a shape is
            inscribed in, as a fraction of the shorter image side. Defaults to
            (0.25, 0.6).
        max_iou (float): Largest box IoU allowed between two objects of an image.
            Defaults to 0.1.
        noise_std (float): Std of the Gaussian pixel noise. Defaults to 8.
        colour_jitter (int): Largest per-channel offset from the class colour.
            Defaults to 20.
        circle_vertices (int): Vertices of the polygon that draws (and annotates)
            a circle. Defaults to 32.

    Returns:
        dict[str, dict]: For ``'train'`` and ``'val'``: ``ann_file``, ``img_dir``
        (paths), ``num_images`` and ``num_instances``.
    """
    width, height, draw_kwargs = _draw_settings(image_size, max_objects, size_range,
                                                max_iou, noise_std, colour_jitter,
                                                circle_vertices)
    # RandomState's streams are frozen across numpy versions (NEP 19), unlike
    # Generator's distributions; seeding with [seed, split] separates the splits.
    return {
        split: _make_split(out_dir, split, num, [seed, split_index], width, height,
                           **draw_kwargs)
        for split_index, (split, num) in enumerate((('train', num_train),
                                                    ('val', num_val)))
    }
