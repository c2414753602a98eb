"""Pascal VOC: SRC/Annotations/*.xml and SRC/JPEGImages/ (the split of ImageSets/Main
when there is one); difficult boxes become iscrowd."""
import os.path as osp
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from ...errors import CLIError
from .source import (SPLITS, SourceBox, SourceDataset, SourceImage,
                     _check_stated_size, _finish, _list_images, _make_image,
                     _number, _relative_name, image_size)


def _voc_object_problem(node: ET.Element) -> str:
    """What is wrong with a VOC ``<object>`` that globox could not parse."""
    if not (node.findtext('name') or '').strip():
        return 'name: missing'
    if node.find('bndbox') is None:
        return 'bndbox: missing'
    for key in ('xmin', 'ymin', 'xmax', 'ymax'):
        text = node.findtext(f'bndbox/{key}')
        if text is None:
            return f'bndbox/{key}: missing'
        try:
            _number(text, '')
        except CLIError:
            return f'bndbox/{key}: {text!r} is not a number'
    x1, y1, x2, y2 = (float(node.findtext(f'bndbox/{k}'))
                      for k in ('xmin', 'ymin', 'xmax', 'ymax'))
    for axis, low, high in (('x', x1, x2), ('y', y1, y2)):
        if high < low:
            return f'bndbox: {axis}max {high:g} is less than {axis}min {low:g}'
    return 'cannot be parsed'


def _voc_difficult(node: ET.Element, where: str) -> int:
    """VOC's ``difficult`` flag (missing or empty: 0), which globox ignores."""
    text = (node.findtext('difficult') or '').strip() or '0'
    if text not in ('0', '1'):
        raise CLIError(f'{where}: difficult: {text!r}, expected 0 or 1')
    return int(text)


def _read_voc_xml(xml: str, img_dir: str) -> Tuple[str, Tuple, List]:
    """The image path, stated size and ``(box, where)`` pairs of one VOC file."""
    from globox import BoundingBox, ParsingError
    try:
        root = ET.parse(xml).getroot()
    except (ET.ParseError, OSError) as err:
        raise CLIError(f'{xml}: not a readable XML file: {err}') from err
    file_name = (root.findtext('filename') or '').strip()
    if not file_name:
        raise CLIError(f'{xml}: filename: missing')
    boxes = []
    for index, node in enumerate(root.findall('object'), 1):
        where = f'{xml}: object {index}'
        try:
            box = BoundingBox.from_xml(node)
        except (ParsingError, ValueError, AssertionError):
            raise CLIError(f'{where}: {_voc_object_problem(node)}') from None
        if not box.label.strip():
            raise CLIError(f'{where}: name: missing')
        boxes.append((SourceBox(box.label.strip(), *box.ltrb,
                                iscrowd=_voc_difficult(node, where)), where))
    stated = (root.findtext('size/width'), root.findtext('size/height'))
    return osp.join(img_dir, file_name), stated, boxes


def _voc_split_ids(src: str) -> Optional[Dict[str, str]]:
    """``{id: split}`` from ``ImageSets/Main/{train,val}.txt`` when both exist."""
    files = {s: osp.join(src, 'ImageSets', 'Main', f'{s}.txt') for s in SPLITS}
    if not all(osp.isfile(f) for f in files.values()):
        return None
    split_of = {}
    for split, path in files.items():
        with open(path) as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                image_id = line.split()[0]
                if split_of.setdefault(image_id, split) != split:
                    raise CLIError(f'{path}: line {number}: {image_id!r} is in both '
                                   'train.txt and val.txt')
    return split_of


def read_voc(src: str, classes: Optional[Sequence[str]] = None) -> SourceDataset:
    """Read a Pascal VOC folder (``Annotations/``, ``JPEGImages/``, optionally
    ``ImageSets/Main/{train,val}.txt``); see the module docstring."""
    ann_dir, img_dir = osp.join(src, 'Annotations'), osp.join(src, 'JPEGImages')
    for folder in (ann_dir, img_dir):
        if not osp.isdir(folder):
            raise CLIError(f'{folder}: not found; a VOC source needs '
                           'SRC/Annotations/*.xml and SRC/JPEGImages/')
    split_of = _voc_split_ids(src)
    by_id: Dict[str, SourceImage] = {}
    seen, clipped = set(), 0
    for xml in sorted(str(p) for p in Path(ann_dir).glob('*.xml')):
        path, stated, boxes = _read_voc_xml(xml, img_dir)
        file_name = _relative_name(path, img_dir, f'{xml}: filename')
        if not osp.isfile(path):
            raise CLIError(f'{xml}: filename: {path} not found')
        if osp.abspath(path) in seen:
            raise CLIError(f'{xml}: filename: {path} is named by another '
                           'annotation file too')
        size = image_size(path)
        _check_stated_size(stated, size, path, xml, 'size')
        image, num = _make_image(path, file_name, size, boxes, xml)
        by_id[Path(xml).stem] = image
        seen.add(osp.abspath(path))
        clipped += num
    for path in _list_images(img_dir):  # images without an annotation file
        if osp.abspath(path) not in seen:
            file_name = _relative_name(path, img_dir, path)
            by_id.setdefault(osp.splitext(file_name)[0],
                             _make_image(path, file_name, image_size(path), [],
                                         path)[0])
    notes, split_from = [], None
    if split_of is not None:
        split_from = osp.join(src, 'ImageSets', 'Main', '{train,val}.txt')
        missing = sorted(set(split_of) - set(by_id))
        if missing:
            listed_in = osp.join(src, 'ImageSets', 'Main',
                                 f'{split_of[missing[0]]}.txt')
            raise CLIError(f'{listed_in}: {missing[0]!r}: no Annotations/'
                           f'{missing[0]}.xml nor image of that name')
        for image_id, image in by_id.items():
            image.split = split_of.get(image_id)
        left_out = [i for i in by_id.values() if i.split is None]
        if left_out:
            notes.append(f'{len(left_out)} images are in neither train.txt nor '
                         'val.txt and were left out')
    images = [by_id[k] for k in sorted(by_id)
              if split_of is None or by_id[k].split is not None]
    return _finish(images, clipped, classes, src if classes is None else '--classes',
                   split_from, notes)
