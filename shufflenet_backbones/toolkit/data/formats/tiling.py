"""Large images cut into tiles, their boxes with them (``convert.py --tile``).

An aerial or satellite photograph of thousands of pixels would be shrunk to the
training scale and its small objects lost; cut into tiles of the training scale
each object keeps its pixels. The cutting is sahi's (:func:`sahi.slicing.
slice_image`, the slicer of the sliced inference in
:mod:`shufflenet_backbones.toolkit.inference.slicing`): the same tile grid at
training and at inference time, edge tiles shifted inward to stay full-size.
"""
import os.path as osp
from typing import List

from sahi.slicing import slice_image
from sahi.utils.coco import CocoAnnotation

from .source import SourceBox, SourceDataset, SourceImage

# A box cut by a tile border is kept in that tile when at least this share of
# its area lies inside (the part inside becomes the box); a sliver of a crown or a
# car at the border is not an object a detector can be asked to find.
MIN_AREA_INSIDE = 0.5


def tile_dataset(dataset: SourceDataset, out_dir: str, size: int,
                 overlap: float = 0.0) -> SourceDataset:
    """Cut every image of ``dataset`` into ``size`` x ``size`` tiles written to
    ``out_dir`` (an image no larger than a tile stays whole).

    Args:
        dataset (SourceDataset): What a reader read.
        out_dir (str): Where the tile files go (must exist).
        size (int): Tile width and height in pixels.
        overlap (float): Share of a tile that neighbouring tiles overlap, in
            [0, 1). Defaults to 0 (no pixel in two tiles).

    Returns:
        SourceDataset: The tiles, named ``<image>_<x1>_<y1>_<x2>_<y2><ext>``
        (their place in the image), each with the source image's split.
    """
    if size < 1:
        raise ValueError(f'size must be a positive number of pixels, got {size}')
    if not 0 <= overlap < 1:
        raise ValueError(f'overlap must be in [0, 1), got {overlap}')
    cat_ids = {name: i for i, name in enumerate(dataset.classes, 1)}
    tiles: List[SourceImage] = []
    for image in dataset.images:
        boxes = [
            CocoAnnotation.from_coco_bbox(
                [b.x1, b.y1, b.x2 - b.x1, b.y2 - b.y1], cat_ids[b.label], b.label,
                b.iscrowd) for b in image.boxes
        ]
        stem = osp.splitext(image.file_name)[0].replace('/', '_')
        result = slice_image(
            image.path, coco_annotation_list=boxes, output_file_name=stem,
            output_dir=out_dir, slice_height=min(size, image.height),
            slice_width=min(size, image.width), overlap_height_ratio=overlap,
            overlap_width_ratio=overlap, auto_slice_resolution=False,
            min_area_ratio=MIN_AREA_INSIDE)
        for tile in result.coco_images:
            tile_boxes = []
            for ann in tile.annotations:
                x, y, w, h = ann.bbox
                tile_boxes.append(SourceBox(ann.category_name, x, y, x + w, y + h,
                                            iscrowd=ann.iscrowd))
            tiles.append(SourceImage(
                path=osp.join(out_dir, tile.file_name), file_name=tile.file_name,
                width=tile.width, height=tile.height, boxes=tile_boxes,
                where=f'{image.where} (tile {tile.file_name})', split=image.split))
    notes = list(dataset.notes) + [
        f'cut {len(dataset.images)} images into {len(tiles)} tiles of {size} px '
        f'(overlap {overlap:g}); a box cut by a tile border is kept where at least '
        f'{MIN_AREA_INSIDE:.0%} of it lies inside'
    ]
    return SourceDataset(dataset.classes, tiles, dataset.split_from, notes)
