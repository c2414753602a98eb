"""COCO json sources: one file, or a train and a val file; segmentations, areas and
iscrowd kept."""
import os.path as osp
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ...errors import CLIError
from .source import (SourceBox, SourceDataset, SourceImage, _check_stated_size,
                     _finish, _load_json, _make_image, _number, _unique_names,
                     image_size)


def _coco_role(path: str) -> Optional[str]:
    """'train' or 'val' when the json's name (or, for a generic name, its folder)
    says which, else ``None``."""
    for name in (Path(path).stem.lower(), Path(path).parent.name.lower()):
        has_train, has_val = 'train' in name, 'val' in name
        if has_train != has_val:
            return 'train' if has_train else 'val'
    return None


def _coco_files(src: str) -> Dict[Optional[str], str]:
    """``{split: json}``: SRC itself, the one json of SRC, or a train and a val
    one."""
    if osp.isfile(src):
        return {None: src}
    if not osp.isdir(src):
        raise CLIError(f'{src}: not found')
    found = sorted({str(p) for folder in ('.', 'annotations', 'train', 'val', 'valid')
                    for p in Path(src, folder).glob('*.json')})
    if len(found) == 1:
        return {None: found[0]}
    roles = {}
    for path in found:
        roles.setdefault(_coco_role(path), []).append(path)
    if len(roles.get('train', [])) == 1 and len(roles.get('val', [])) == 1:
        return dict(train=roles['train'][0], val=roles['val'][0])
    raise CLIError(f'{src}: found {len(found)} json files {found}; expected one '
                   'COCO file, or one whose name says train and one that says val '
                   '(or give the file itself)')


def _coco_image_roots(json_file: str, src: str) -> List[str]:
    """Where the images of a COCO file may be, in the order they are tried."""
    here = osp.dirname(json_file)
    # COCO's own layout: annotations/instances_train2017.json, train2017/
    up = osp.dirname(here) if osp.basename(here) == 'annotations' else here
    src_dir = src if osp.isdir(src) else up
    stem = Path(json_file).stem
    roots = [here, osp.join(here, 'images'), up, osp.join(up, 'images')]
    if stem.startswith('instances_'):
        roots.append(osp.join(up, stem[len('instances_'):]))
    roots += [src_dir, osp.join(src_dir, 'images')]
    return list(dict.fromkeys(osp.normpath(r) for r in roots))


def _coco_categories(coco: dict, json_file: str) -> Dict[Any, str]:
    """``{id: name}`` of a COCO file's categories, in id order."""
    cats = {}
    for index, cat in enumerate(coco.get('categories') or []):
        if not isinstance(cat, dict) or 'id' not in cat or 'name' not in cat:
            raise CLIError(f"{json_file}: categories[{index}]: needs an 'id' and a "
                           "'name'")
        if not isinstance(cat['id'], int):
            raise CLIError(f"{json_file}: categories[{index}]: id: {cat['id']!r} "
                           'is not an integer')
        cats[cat['id']] = str(cat['name'])
    if not cats:
        raise CLIError(f'{json_file}: categories: missing or empty')
    return {i: cats[i] for i in sorted(cats)}


def _coco_box(ann: dict, index: int, json_file: str,
              cats: Dict[Any, str]) -> SourceBox:
    """The :class:`SourceBox` of ``annotations[index]`` of a COCO file."""
    where = f'{json_file}: annotations[{index}]'
    bbox = ann.get('bbox')
    if not isinstance(bbox, (list, tuple)) or len(bbox) != 4:
        raise CLIError(f'{where}: bbox: {bbox!r}, expected [x, y, width, height]')
    x, y, w, h = (_number(v, f'{where}: bbox') for v in bbox)
    if ann.get('category_id') not in cats:
        raise CLIError(f"{where}: category_id: {ann.get('category_id')!r} is not "
                       'one of the categories')
    segmentation = ann.get('segmentation') or None
    area = _number(ann['area'], f'{where}: area') if segmentation and \
        'area' in ann else None
    return SourceBox(cats[ann['category_id']], x, y, x + w, y + h,
                     iscrowd=int(bool(ann.get('iscrowd', 0))),
                     segmentation=segmentation, area=area)


def _read_coco_file(json_file: str, src: str, split: Optional[str]
                    ) -> Tuple[Tuple[str, ...], List[SourceImage], int]:
    """The class names, images and number of clipped boxes of one COCO file."""
    coco = _load_json(json_file)
    if not isinstance(coco, dict) or not isinstance(coco.get('images'), list):
        raise CLIError(f'{json_file}: images: missing; not a COCO file')
    cats = _coco_categories(coco, json_file)
    roots = _coco_image_roots(json_file, src)
    entries, boxes = {}, {}
    for index, img in enumerate(coco['images']):
        where = f'{json_file}: images[{index}]'
        if not isinstance(img, dict) or 'id' not in img or not img.get('file_name'):
            raise CLIError(f"{where}: needs an 'id' and a 'file_name'")
        if img['id'] in entries:
            raise CLIError(f"{where}: id: {img['id']!r} is used twice")
        entries[img['id']] = (index, img)
        boxes[img['id']] = []
    for index, ann in enumerate(coco.get('annotations') or []):
        if not isinstance(ann, dict) or ann.get('image_id') not in entries:
            raise CLIError(f'{json_file}: annotations[{index}]: image_id: '
                           f"{ann.get('image_id') if isinstance(ann, dict) else ann!r}"
                           ' is not one of the images')
        boxes[ann['image_id']].append(
            (_coco_box(ann, index, json_file, cats),
             f'{json_file}: annotations[{index}]'))
    images, names, clipped = [], set(), 0
    for image_id, (index, img) in entries.items():
        where = f'{json_file}: images[{index}].file_name'
        file_name = Path(osp.normpath(str(img['file_name']))).as_posix()
        if osp.isabs(file_name) or file_name.split('/')[0] == '..':
            raise CLIError(f'{where}: {file_name!r} must be relative')
        if file_name in names:
            raise CLIError(f'{where}: {file_name!r} is listed twice')
        names.add(file_name)
        path = next((osp.join(r, file_name) for r in roots
                     if osp.isfile(osp.join(r, file_name))), None)
        if path is None:
            raise CLIError(f'{where}: {file_name!r} not found in {roots}')
        size = image_size(path)
        _check_stated_size((img.get('width'), img.get('height')), size, path,
                           f'{json_file}: images[{index}]', 'width, height')
        image, num = _make_image(path, file_name, size, boxes[image_id], json_file,
                                 split)
        images.append(image)
        clipped += num
    return tuple(cats.values()), images, clipped


def read_coco(src: str, classes: Optional[Sequence[str]] = None) -> SourceDataset:
    """Read a COCO file, or a train and a val one (see the module docstring)."""
    if classes is not None:
        raise CLIError('--classes: a COCO source names its own categories')
    files = _coco_files(src)
    names, images, clipped = None, [], 0
    for split, json_file in files.items():
        file_names, file_images, num = _read_coco_file(json_file, src, split)
        if names is not None and file_names != names:
            raise CLIError(f'{json_file}: categories {list(file_names)} differ from '
                           f"those of {files['train']} {list(names)}")
        names = _unique_names(file_names, json_file)
        images += file_images
        clipped += num
    split_from = (f"{files['train']} and {files['val']}"
                  if None not in files else None)
    return _finish(images, clipped, names, '', split_from)
