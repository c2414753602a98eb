"""YOLO: label files of normalised cx cy w h per line, and the class names from
classes.txt, obj.names or data.yaml."""
import os.path as osp
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from ...errors import CLIError
from .source import (SourceBox, SourceDataset, _finish, _list_images,
                     _make_image, _number, _relative_name, _unique_names,
                     image_size, read_class_names)

YOLO_NAMES_FILES = ('classes.txt', 'obj.names', 'data.yaml')


def _yolo_names(src: str) -> Tuple[Tuple[str, ...], str]:
    """The class names of a YOLO folder and the file they came from."""
    for name in YOLO_NAMES_FILES:
        path = osp.join(src, name)
        if osp.isfile(path):
            return (_yaml_names(path) if name.endswith('.yaml') else
                    read_class_names(path)), path
    raise CLIError(f'{src}: no class names: expected {src}/classes.txt or '
                   f'{src}/obj.names (one name a line), or {src}/data.yaml with '
                   '"names:" (or give --classes FILE)')


def _yaml_names(path: str) -> Tuple[str, ...]:
    """``names:`` of a YOLO ``data.yaml``: a list, or a dict of ids 0..n-1."""
    import yaml
    try:
        with open(path) as f:
            content = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as err:
        raise CLIError(f'{path}: not a readable YAML file: {err}') from err
    names = content.get('names') if isinstance(content, dict) else None
    if isinstance(names, dict):
        try:
            by_id = {int(k): str(v) for k, v in names.items()}
        except (TypeError, ValueError):
            raise CLIError(f'{path}: names: the keys must be class ids') from None
        if sorted(by_id) != list(range(len(by_id))):
            raise CLIError(f'{path}: names: the ids must be 0..{len(by_id) - 1}, '
                           f'got {sorted(by_id)}')
        names = [by_id[i] for i in range(len(by_id))]
    if not isinstance(names, list):
        raise CLIError(f'{path}: names: missing, or not a list or an {{id: name}} '
                       'dict')
    if 'nc' in content and content['nc'] != len(names):
        raise CLIError(f"{path}: nc: {content['nc']}, but names lists {len(names)}")
    return _unique_names([str(n).strip() for n in names], path)


def _yolo_image_dirs(src: str) -> Tuple[Dict[Optional[str], str], Optional[str]]:
    """``{split: image folder}`` of a YOLO folder (split ``None`` when it has
    none) and where its split comes from."""
    for train, val in (('images/train', 'images/val'),
                       ('images/train', 'images/valid'),
                       ('train/images', 'val/images'),
                       ('train/images', 'valid/images')):
        dirs = dict(train=osp.join(src, train), val=osp.join(src, val))
        if all(osp.isdir(d) for d in dirs.values()):
            return dirs, f'{dirs["train"]} and {dirs["val"]}'
    images = osp.join(src, 'images')
    return {None: images if osp.isdir(images) else src}, None


def _yolo_label_path(path: str, src: str) -> str:
    """The label file of an image: the last ``images`` folder of its path (inside
    SRC) read as ``labels`` (Ultralytics' rule), else the file beside it."""
    parts = list(Path(osp.relpath(path, src)).parts)
    folders = [i for i, part in enumerate(parts[:-1]) if part == 'images']
    if folders:
        parts[folders[-1]] = 'labels'
    return osp.splitext(osp.join(src, *parts))[0] + '.txt'


def _read_yolo_labels(label_file: str, names: Sequence[str],
                      size: Tuple[int, int]) -> List[Tuple[SourceBox, str]]:
    """``(box, where)`` pairs of one YOLO label file, in pixels of ``size``."""
    from globox import BoundingBox, ParsingError
    with open(label_file) as f:
        lines = f.read().splitlines()
    boxes = []
    for number, line in enumerate(lines, 1):
        values, where = line.split(), f'{label_file}: line {number}'
        if not values:
            continue
        if len(values) != 5 and (len(values) < 7 or len(values) % 2 == 0):
            raise CLIError(f'{where}: expected "class cx cy w h" (or a polygon '
                           f'"class x1 y1 x2 y2 x3 y3 ..."), got {len(values)} '
                           'values')
        if not values[0].isdigit() or int(values[0]) >= len(names):
            raise CLIError(f'{where}: class {values[0]!r}: expected an id 0..'
                           f'{len(names) - 1} of the {len(names)} class names')
        coords = [_number(v, where) for v in values[1:]]
        if not all(-0.01 <= c <= 1.01 for c in coords):
            raise CLIError(f'{where}: coordinates must be normalised to [0, 1] by '
                           f'the image size {size[0]}x{size[1]}, got {values[1:]}')
        try:
            box = (BoundingBox.from_yolo(line, image_size=size) if len(values) == 5
                   else BoundingBox.from_yolo_seg(line, image_size=size))
        except (ParsingError, AssertionError):  # globox asserts w, h >= 0
            raise CLIError(f'{where}: negative width or height') from None
        boxes.append((SourceBox(names[int(values[0])], *box.ltrb), where))
    return boxes


def read_yolo(src: str, classes: Optional[Sequence[str]] = None) -> SourceDataset:
    """Read a YOLO folder (see the module docstring); ``classes`` replaces the
    names file."""
    names, names_from = ((tuple(classes), '--classes') if classes is not None
                         else _yolo_names(src))
    dirs, split_from = _yolo_image_dirs(src)
    images, clipped, unlabelled = [], 0, 0
    for split, img_dir in dirs.items():
        for path in _list_images(img_dir):
            label_file = _yolo_label_path(path, src)
            size = image_size(path)
            if osp.isfile(label_file):
                boxes, where = _read_yolo_labels(label_file, names, size), label_file
            else:
                boxes, where, unlabelled = [], path, unlabelled + 1
            image, num = _make_image(path, _relative_name(path, img_dir, path), size,
                                     boxes, where, split)
            images.append(image)
            clipped += num
    notes = [f'{unlabelled} images have no label file (kept, with no objects)'
             ] if unlabelled else []
    if not images:
        raise CLIError(f'{src}: no images found (looked in {list(dirs.values())})')
    return _finish(images, clipped, names, names_from, split_from, notes)
