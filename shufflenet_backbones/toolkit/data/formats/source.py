"""The in-memory dataset every reader fills (:class:`SourceDataset` of
:class:`SourceImage` s with :class:`SourceBox` es), and what the readers share:
EXIF-aware image sizes, listing images, field-level number and size checks,
clipping, class names."""
import json
import math
import os
import os.path as osp
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, List, Optional, Sequence, Tuple

from PIL import Image, UnidentifiedImageError

from ...errors import CLIError

__all__ = [
    'IMAGE_SUFFIXES', 'SPLITS', 'SourceBox', 'SourceImage', 'SourceDataset',
    'image_size', 'read_class_names'
]

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
SPLITS = ('train', 'val')
# EXIF orientations that turn the image by 90 degrees (transposed sizes).
_EXIF_ORIENTATION = 0x0112
_TRANSPOSED = (5, 6, 7, 8)


@dataclass
class SourceBox:
    """One object: its class name, corners in pixels, and ``iscrowd`` (1 for VOC's
    difficult boxes); ``segmentation`` and ``area`` only from a COCO source."""
    label: str
    x1: float
    y1: float
    x2: float
    y2: float
    iscrowd: int = 0
    segmentation: Any = None
    area: Optional[float] = None


@dataclass
class SourceImage:
    """One image: the file (``path``), the name it gets under ``DST/<split>/``
    (``file_name``, POSIX, relative), its size with EXIF orientation applied, its
    boxes, the source's split (``None`` when the source has none) and the
    annotation file it came from (``where``, for messages)."""
    path: str
    file_name: str
    width: int
    height: int
    boxes: List[SourceBox]
    where: str
    split: Optional[str] = None


@dataclass
class SourceDataset:
    """What a reader read: the class names (category ids 1, 2, ... in this
    order), the images, where the source's split came from (``None`` when it has
    none) and notes for the user (what was left out or clipped)."""
    classes: Tuple[str, ...]
    images: List[SourceImage]
    split_from: Optional[str] = None
    notes: List[str] = field(default_factory=list)


def image_size(path: str) -> Tuple[int, int]:
    """``(width, height)`` of an image as mmcv decodes it: with its EXIF
    orientation applied (what ``PIL.ImageOps.exif_transpose(img).size`` gives,
    read from the header without decoding the pixels)."""
    # No pixels are decoded, so PIL's decompression-bomb limit (which large aerial
    # images exceed) does not apply here.
    max_pixels, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
    try:
        with Image.open(path) as img:
            width, height = img.size
            orientation = _exif(img).get(_EXIF_ORIENTATION, 1)
    except FileNotFoundError as err:
        raise CLIError(f'{path}: image not found') from err
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise CLIError(f'{path}: cannot read the image: {err}') from err
    finally:
        Image.MAX_IMAGE_PIXELS = max_pixels
    return (height, width) if orientation in _TRANSPOSED else (width, height)


def _exif(img: Image.Image) -> Image.Exif:
    """The EXIF tags of an opened image, read without decoding its pixels: a
    PNG's from an ``eXIf`` chunk before the pixel data (where OpenCV reads it;
    PIL's ``getexif()`` decodes the whole PNG to look after the pixels too)."""
    if img.format != 'PNG':
        return img.getexif()
    exif = Image.Exif()
    if img.info.get('exif'):
        exif.load(img.info['exif'])
    return exif


def _list_images(root: str) -> List[str]:
    """Image files under ``root`` (recursively, hidden ones left out), sorted."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith('.'))
        found += [osp.join(folder, f) for f in files if not f.startswith('.')
                  and osp.splitext(f)[1].lower() in IMAGE_SUFFIXES]
    return sorted(found)


def _relative_name(path: str, root: str, where: str) -> str:
    """``path`` relative to ``root`` in POSIX form; it must lie inside ``root``."""
    rel = osp.relpath(osp.abspath(path), osp.abspath(root))
    if rel == '.' or rel.split(os.sep)[0] == '..':
        raise CLIError(f'{where}: {path} is not inside {root}')
    return Path(rel).as_posix()


def _number(value: Any, where: str) -> float:
    """``value`` as a finite float, or a :class:`CLIError` naming ``where``."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float('nan')
    if number != number or number in (float('inf'), float('-inf')):
        raise CLIError(f'{where}: {value!r} is not a number')
    return number


def _check_stated_size(stated: Tuple[Any, Any], size: Tuple[int, int], path: str,
                       where: str, fields: str) -> None:
    """The size an annotation file states in ``fields`` (0 or missing: not
    stated) must be the image's, else its boxes are for another picture (e.g.
    annotated without the EXIF rotation)."""
    if any(v is None or str(v).strip() == '' for v in stated):
        return
    try:
        stated = tuple(int(float(v)) for v in stated)
    except (TypeError, ValueError):
        raise CLIError(f'{where}: {fields}: {stated} are not numbers') from None
    if 0 not in stated and stated != tuple(size):
        raise CLIError(
            f'{where}: {fields}: {stated[0]}x{stated[1]}, but {path} is '
            f'{size[0]}x{size[1]} (EXIF orientation applied, as mmcv decodes it); '
            'the boxes would not fit the image')


def _clip(box: SourceBox, width: int, height: int, where: str) -> bool:
    """Check ``box`` and clip it to the image in place; returns whether it was
    clipped."""
    corners = (box.x1, box.y1, box.x2, box.y2)
    if not all(math.isfinite(c) for c in corners):
        raise CLIError(f'{where}: box {box.label!r} (xmin, ymin, xmax, ymax) = '
                       f'{corners} is not finite')
    if box.x2 <= box.x1 or box.y2 <= box.y1:
        raise CLIError(f'{where}: box {box.label!r} (xmin, ymin, xmax, ymax) = '
                       f'{corners} has no area')
    box.x1, box.x2 = max(box.x1, 0.), min(box.x2, float(width))
    box.y1, box.y2 = max(box.y1, 0.), min(box.y2, float(height))
    if box.x2 <= box.x1 or box.y2 <= box.y1:
        raise CLIError(f'{where}: box {box.label!r} (xmin, ymin, xmax, ymax) = '
                       f'{corners} lies outside the {width}x{height} image')
    return corners != (box.x1, box.y1, box.x2, box.y2)


def _make_image(path: str, file_name: str, size: Tuple[int, int],
                boxes: List[Tuple[SourceBox, str]], where: str,
                split: Optional[str] = None) -> Tuple[SourceImage, int]:
    """A checked :class:`SourceImage` from ``(box, where)`` pairs, and how many of
    its boxes were clipped."""
    clipped = sum(_clip(box, size[0], size[1], box_where) for box, box_where in boxes)
    return SourceImage(path, file_name, size[0], size[1], [b for b, _ in boxes],
                       where, split), clipped


def read_class_names(path: str) -> Tuple[str, ...]:
    """Class names from a text file, one a line (``classes.txt``, Darknet's
    ``obj.names``), in category-id order; trailing empty lines are ignored."""
    try:
        with open(path) as f:
            lines = [line.strip() for line in f.read().splitlines()]
    except OSError as err:
        raise CLIError(f'{path}: cannot read the class names: {err}') from err
    while lines and not lines[-1]:
        lines.pop()
    for number, name in enumerate(lines, 1):
        if not name:
            raise CLIError(f'{path}: line {number}: empty class name')
    return _unique_names(lines, path)


def _unique_names(names: Sequence[str], where: str) -> Tuple[str, ...]:
    if not names:
        raise CLIError(f'{where}: no class names')
    twice = sorted({n for n in names if list(names).count(n) > 1})
    if twice:
        raise CLIError(f'{where}: the class names {twice} are given more than once')
    return tuple(names)


def _finish(images: List[SourceImage], clipped: int, classes: Optional[Sequence[str]],
            classes_from: str, split_from: Optional[str] = None,
            notes: Optional[List[str]] = None) -> SourceDataset:
    """The dataset: the class names (``classes`` when given, every label must be
    one of them; else the sorted labels found) and the notes."""
    notes = list(notes or [])
    if classes is None:
        classes = tuple(sorted({b.label for im in images for b in im.boxes}))
        if not classes:
            raise CLIError(f'{classes_from}: no boxes found, so no class names; '
                           'give them with --classes FILE')
    else:
        known = set(classes)
        for im in images:
            for box in im.boxes:
                if box.label not in known:
                    raise CLIError(f'{im.where}: label {box.label!r} is not one of '
                                   f'the classes of {classes_from} {list(classes)}')
    if clipped:
        notes.append(f'{clipped} boxes reached outside their image and were clipped '
                     'to it')
    return SourceDataset(tuple(classes), images, split_from, notes)


def _load_json(path: str) -> Any:
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as err:
        raise CLIError(f'{path}: not a readable JSON file: {err}') from err
