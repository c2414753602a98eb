"""Reading any format, then splitting and writing: what tools/data/convert.py runs."""
import os
import os.path as osp
import tempfile
from typing import Callable, Dict, Optional, Sequence, Tuple

from ...errors import CLIError
from .coco import read_coco
from .csv_table import read_csv
from .labelme import read_labelme
from .source import SourceDataset
from .tiling import tile_dataset
from .voc import read_voc
from .writer import split_dataset, write_coco
from .yolo import read_yolo

READERS: Dict[str, Callable[..., SourceDataset]] = dict(
    voc=read_voc, yolo=read_yolo, csv=read_csv, labelme=read_labelme,
    coco=read_coco)


FORMATS = tuple(READERS)


def read_dataset(src: str, source_format: str,
                 classes: Optional[Sequence[str]] = None) -> SourceDataset:
    """Read SRC in ``source_format`` (one of :data:`FORMATS`)."""
    if source_format not in READERS:
        raise ValueError(f'source_format must be one of {FORMATS}, got '
                         f'{source_format!r}')
    if not osp.exists(src):
        raise CLIError(f'{src}: not found')
    return READERS[source_format](src, classes)


def convert_dataset(src: str, dst: str, source_format: str,
                    val_fraction: float = 0.2, seed: int = 0, copy: bool = False,
                    classes: Optional[Sequence[str]] = None,
                    tile: Optional[int] = None, tile_overlap: float = 0.0
                    ) -> Tuple[SourceDataset, Dict[str, dict]]:
    """Convert SRC (in ``source_format``) into the COCO folder ``dst``.

    Args:
        src (str): The source folder (or file, for csv and coco).
        dst (str): The output folder; must be new or empty, and not inside SRC.
        source_format (str): One of :data:`FORMATS`.
        val_fraction (float): Share of the images for val when the source has no
            split. Defaults to 0.2.
        seed (int): Seed of that split. Defaults to 0.
        copy (bool): Copy the images instead of symlinking them.
        classes (Sequence[str], optional): Class names in category-id order
            (YOLO: instead of its names file; not for coco).
        tile (int, optional): Cut the images into tiles of this size first
            (:func:`tile_dataset`); the split is then one of tiles, so that tiles of
            one photograph can be in train and in val (with ``tile_overlap=0`` no
            pixel is in both). The tiles are always written as files (``copy``
            does not apply).
        tile_overlap (float): Overlap of neighbouring tiles, in [0, 1).

    Returns:
        tuple[SourceDataset, dict]: What was read (the tiles, with ``tile``), and
        what :func:`write_coco` returns.
    """
    if osp.isdir(src) and (osp.abspath(dst) + os.sep).startswith(
            osp.abspath(src) + os.sep):
        raise CLIError(f'{dst}: inside the source folder {src}; its images would '
                       'be read as source images next time, give another folder')
    dataset = read_dataset(src, source_format, classes)
    description = f'converted from {source_format}'
    if tile is None:
        splits = split_dataset(dataset, val_fraction, seed)
        return dataset, write_coco(splits, dataset.classes, dst, copy, description)
    with tempfile.TemporaryDirectory() as tile_dir:
        dataset = tile_dataset(dataset, tile_dir, tile, tile_overlap)
        splits = split_dataset(dataset, val_fraction, seed)
        written = write_coco(splits, dataset.classes, dst, True,
                             f'{description}, tiles of {tile} px')
    for split, images in splits.items():  # the tile files now live in dst only
        for im in images:
            im.path = osp.join(dst, split, im.file_name)
    return dataset, written
