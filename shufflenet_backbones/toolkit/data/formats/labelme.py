"""LabelMe JSON files: rectangles, and polygons as their bounding boxes."""
import os.path as osp
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from ...errors import CLIError
from .source import (SourceBox, SourceDataset, _check_stated_size, _finish,
                     _list_images, _load_json, _make_image, _relative_name,
                     image_size)


def _labelme_boxes(content: dict, json_file: str,
                   skipped: Dict[str, int]) -> List[Tuple[SourceBox, str]]:
    """``(box, where)`` pairs of a LabelMe file's rectangles and polygons; counts
    the other shape types in ``skipped``."""
    from globox import BoundingBox, ParsingError
    shapes = content.get('shapes')
    if not isinstance(shapes, list):
        raise CLIError(f'{json_file}: shapes: missing or not a list; not a LabelMe '
                       'file')
    boxes = []
    for index, shape in enumerate(shapes):
        where = f'{json_file}: shapes[{index}]'
        # old LabelMe files leave shape_type out for polygons
        kind = (shape.get('shape_type') or 'polygon') if isinstance(shape, dict) \
            else None
        if kind not in ('rectangle', 'polygon'):
            skipped[str(kind)] = skipped.get(str(kind), 0) + 1
            continue
        try:
            box = BoundingBox.from_labelme(shape)
        except (ParsingError, TypeError):
            raise CLIError(f'{where}: needs a "label" and "points" [[x, y], ...]'
                           ) from None
        if not box.label.strip():
            raise CLIError(f'{where}: label: empty')
        boxes.append((SourceBox(box.label.strip(), *box.ltrb), where))
    return boxes


def read_labelme(src: str, classes: Optional[Sequence[str]] = None) -> SourceDataset:
    """Read the LabelMe files under SRC (see the module docstring)."""
    if not osp.isdir(src):
        raise CLIError(f'{src}: not a folder')
    images, seen, skipped, clipped = {}, set(), {}, 0
    for json_file in sorted(str(p) for p in Path(src).rglob('*.json')):
        content = _load_json(json_file)
        if not isinstance(content, dict) or not content.get('imagePath'):
            raise CLIError(f'{json_file}: imagePath: missing; not a LabelMe file')
        boxes = _labelme_boxes(content, json_file, skipped)
        # LabelMe on Windows writes backslashes
        rel = str(content['imagePath']).replace('\\', '/')
        path = osp.normpath(osp.join(osp.dirname(json_file), rel))
        if osp.abspath(path) in seen:
            raise CLIError(f'{json_file}: imagePath: {path} is named by another '
                           'LabelMe file too')
        if not osp.isfile(path):
            raise CLIError(f'{json_file}: imagePath: {path} not found')
        size = image_size(path)
        _check_stated_size((content.get('imageWidth'), content.get('imageHeight')),
                           size, path, json_file, 'imageWidth, imageHeight')
        file_name = _relative_name(path, src, f'{json_file}: imagePath')
        images[file_name], num = _make_image(path, file_name, size, boxes, json_file)
        seen.add(osp.abspath(path))
        clipped += num
    for path in _list_images(src):  # images without a LabelMe file
        if osp.abspath(path) not in seen:
            file_name = _relative_name(path, src, path)
            images[file_name] = _make_image(path, file_name, image_size(path), [],
                                            path)[0]
    notes = [f'{num} {kind} shapes left out (only rectangles and polygons become '
             'boxes)' for kind, num in sorted(skipped.items())]
    return _finish([images[k] for k in sorted(images)], clipped, classes,
                   src if classes is None else '--classes', notes=notes)
