"""CSV in deepforest's format: image_path,xmin,ymin,xmax,ymax,label, one row per box."""
import csv
import os.path as osp
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from ...errors import CLIError
from .source import (SourceBox, SourceDataset, _finish, _make_image, _number,
                     _relative_name, image_size)

CSV_COLUMNS = ('image_path', 'xmin', 'ymin', 'xmax', 'ymax', 'label')


def _csv_file(src: str) -> str:
    """SRC itself, or the one ``*.csv`` file in the folder SRC."""
    if osp.isfile(src):
        return src
    found = sorted(str(p) for p in Path(src).glob('*.csv')) if osp.isdir(src) else []
    if len(found) != 1:
        raise CLIError(f'{src}: expected a CSV file, or a folder with one '
                       f'(found {len(found)})')
    return found[0]


def _csv_box(row: Dict[str, Optional[str]], where: str) -> Optional[SourceBox]:
    """The box of one CSV row; ``None`` for an image without objects (the box
    left empty, or deepforest's 0,0,0,0 box)."""
    keys = CSV_COLUMNS[1:5]
    texts = [(row.get(key) or '').strip() for key in keys]
    label = (row.get('label') or '').strip()
    if not any(texts):
        return None
    for key, text in zip(keys, texts):
        if not text:
            raise CLIError(f'{where}: {key}: empty (leave all four of xmin, ymin, '
                           'xmax, ymax empty for an image without objects)')
    coords = [_number(text, f'{where}: {key}') for key, text in zip(keys, texts)]
    if not any(coords):
        return None
    if not label:
        raise CLIError(f'{where}: label: empty')
    return SourceBox(label, *coords)


def read_csv(src: str, classes: Optional[Sequence[str]] = None) -> SourceDataset:
    """Read a CSV file of boxes (see the module docstring)."""
    csv_file = _csv_file(src)
    root = osp.dirname(csv_file)
    rows: Dict[str, Tuple[str, List[Tuple[SourceBox, str]]]] = {}
    with open(csv_file, newline='') as f:
        reader = csv.DictReader(f)
        missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise CLIError(f'{csv_file}: header: needs the columns '
                           f'{",".join(CSV_COLUMNS)}; missing {missing}')
        for row in reader:
            where = f'{csv_file}: line {reader.line_num}'
            image_path = (row['image_path'] or '').strip()
            if not image_path:
                raise CLIError(f'{where}: image_path: empty')
            path = osp.normpath(osp.join(root, image_path))
            box = _csv_box(row, where)
            boxes = rows.setdefault(path, (where, []))[1]
            if box is not None:
                boxes.append((box, where))
    images, clipped = [], 0
    for path, (where, boxes) in rows.items():
        if not osp.isfile(path):
            raise CLIError(f'{where}: image_path: {path} not found')
        image, num = _make_image(path, _relative_name(path, root, where),
                                 image_size(path), boxes, csv_file)
        images.append(image)
        clipped += num
    if not images:
        raise CLIError(f'{csv_file}: no rows')
    return _finish(images, clipped, classes,
                   csv_file if classes is None else '--classes')
