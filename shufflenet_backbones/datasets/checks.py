"""Check COCO-style datasets before training, with errors that say what to fix.

mmdet fails late and obscurely on a wrong ``data_root`` (a ``FileNotFoundError``
deep inside pycocotools) or on a missing image (only when a worker first loads it,
possibly hours into training). :func:`check_coco_dataset` reads the annotation file
once and checks every image up front; :func:`check_config_datasets` does that for the
datasets of a config's dataloaders.

Boxes with zero width, height or area, or lying completely outside their image, are
not errors: ``mmdet.datasets.CocoDataset.parse_data_info`` skips any annotation with
``w < 1``, ``h < 1``, ``area <= 0`` or no overlap with the image. They are counted
and reported as a warning so that a dataset that loses many boxes is noticed.

Only local paths are checked (not ``backend_args`` / remote storage).
"""
import json
import logging
import os.path as osp
from typing import Dict, Iterator, Optional, Tuple

from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS
from mmengine.logging import print_log

__all__ = ['check_coco_dataset', 'check_config_datasets']

_REQUIRED_FIELDS = ('images', 'annotations', 'categories')
# Keys CocoDataset reads from every image / annotation entry.
_IMAGE_KEYS = ('id', 'file_name', 'width', 'height')
_ANNOTATION_KEYS = ('image_id', 'category_id', 'bbox', 'area')
# How many missing images an error message names.
_NUM_NAMED = 5
_DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def _join_root(data_root: Optional[str], path: str) -> str:
    # The rule of mmengine's BaseDataset._join_prefix.
    return osp.join(data_root, path) if data_root and not osp.isabs(path) else path


def _load_annotations(ann_file: str) -> dict:
    """Read ``ann_file`` and check that it holds a COCO annotation dict."""
    if not osp.isfile(ann_file):
        raise FileNotFoundError(
            f"Annotation file '{ann_file}' does not exist or is not a file; check "
            "the config's `ann_file` (relative to `data_root` unless absolute).")
    try:
        with open(ann_file, 'rb') as f:
            raw = f.read()
    except OSError as err:
        raise ValueError(
            f"Annotation file '{ann_file}' cannot be read: {err}") from err
    try:
        coco = json.loads(raw)
    except ValueError as err:  # JSONDecodeError and UnicodeDecodeError
        raise ValueError(
            f"Annotation file '{ann_file}' is not valid JSON: {err}") from err
    if not isinstance(coco, dict):
        raise ValueError(f"Annotation file '{ann_file}' must hold a JSON object with "
                         f'the fields {_REQUIRED_FIELDS}, got a {type(coco).__name__}')
    for field in _REQUIRED_FIELDS:
        if field not in coco:
            raise ValueError(
                f"Annotation file '{ann_file}' has no '{field}' field (a COCO "
                f'annotation file needs {_REQUIRED_FIELDS}).')
        if not isinstance(coco[field], list):
            raise ValueError(f"Field '{field}' of annotation file '{ann_file}' must "
                             f'be a list, got a {type(coco[field]).__name__}.')
    for field in ('images', 'categories'):
        if not coco[field]:
            raise ValueError(f"Annotation file '{ann_file}' lists no {field} (its "
                             f"'{field}' field is empty).")
    return coco


def _check_entries(coco: dict, ann_file: str) -> None:
    """Check that every image / annotation has the keys CocoDataset reads."""
    for field, keys in (('images', _IMAGE_KEYS), ('annotations', _ANNOTATION_KEYS)):
        for index, entry in enumerate(coco[field]):
            missing = [k for k in keys if k not in entry]
            if missing:
                raise ValueError(
                    f"Entry {index} of '{field}' in '{ann_file}' has no {missing} "
                    f'(every entry needs {keys}).')
    for ann in coco['annotations']:
        if len(ann['bbox']) != 4:
            raise ValueError(
                f"Annotation {ann.get('id')} in '{ann_file}' has bbox "
                f"{ann['bbox']}; COCO boxes are [x, y, width, height].")


def _skipped_by_mmdet(ann: dict, width: float, height: float) -> bool:
    """Whether ``CocoDataset.parse_data_info`` drops this annotation's box."""
    x1, y1, w, h = ann['bbox']
    inter_w = max(0, min(x1 + w, width) - max(x1, 0))
    inter_h = max(0, min(y1 + h, height) - max(y1, 0))
    return inter_w * inter_h == 0 or ann['area'] <= 0 or w < 1 or h < 1


def check_coco_dataset(data_root: Optional[str], ann_file: str,
                       img_dir: str = '') -> Dict[str, object]:
    """Check a COCO-style dataset as an mmdet ``CocoDataset`` config gives it.

    Args:
        data_root (str, optional): The dataset's ``data_root``. ``None`` or ``''``
            when ``ann_file`` and ``img_dir`` are used as they are.
        ann_file (str): Annotation file, relative to ``data_root`` unless
            absolute.
        img_dir (str): Image folder (``data_prefix['img']``), relative to
            ``data_root`` unless absolute. Defaults to ''.

    Returns:
        dict: ``ann_file`` and ``img_dir`` (resolved paths), ``num_images``,
        ``num_annotations`` and ``num_skipped_boxes`` (boxes CocoDataset skips
        because of zero size or area or no overlap with their image; a warning
        is logged when there are any).

    Raises:
        FileNotFoundError: ``data_root``, ``ann_file``, ``img_dir`` or an image
            listed in ``ann_file`` does not exist.
        ValueError: ``ann_file`` cannot be read, is not JSON, lacks a COCO field
            or lists no images.
    """
    if data_root and not osp.isdir(data_root):
        raise FileNotFoundError(
            f"Dataset root '{data_root}' (absolute: '{osp.abspath(data_root)}') "
            "does not exist or is not a folder. The config's `data_root` should "
            'point at a COCO-style folder holding annotations/instances_*.json and '
            'the image folders (e.g. data/coco/, or one written by '
            'tools/data/generate_shapes_coco.py).')
    if not ann_file:
        raise ValueError('No annotation file given (the config\'s `ann_file` is '
                         'empty).')
    ann_path = _join_root(data_root, ann_file)
    img_path = _join_root(data_root, img_dir)
    coco = _load_annotations(ann_path)
    _check_entries(coco, ann_path)

    if not osp.isdir(img_path):
        raise FileNotFoundError(
            f"Image folder '{img_path}' does not exist; check the config's "
            '`data_prefix=dict(img=...)` (relative to `data_root` unless absolute).')
    missing = [
        img['file_name'] for img in coco['images']
        if not osp.isfile(osp.join(img_path, img['file_name']))
    ]
    if missing:
        named = ', '.join(missing[:_NUM_NAMED])
        more = f' and {len(missing) - _NUM_NAMED} more' if len(
            missing) > _NUM_NAMED else ''
        raise FileNotFoundError(
            f"{len(missing)} of {len(coco['images'])} images listed in '{ann_path}' "
            f"are missing from '{img_path}': {named}{more}.")

    sizes = {img['id']: (img['width'], img['height']) for img in coco['images']}
    # Annotations of unlisted images are never loaded, so they cannot be skipped.
    num_skipped = sum(
        _skipped_by_mmdet(ann, *sizes[ann['image_id']])
        for ann in coco['annotations']
        if ann['image_id'] in sizes and not ann.get('ignore', False))
    if num_skipped:
        print_log(
            f"{num_skipped} of {len(coco['annotations'])} boxes in '{ann_path}' "
            'have zero width, height or area or lie outside their image; mmdet\'s '
            'CocoDataset skips them.', logger='current', level=logging.WARNING)
    return dict(ann_file=ann_path, img_dir=img_path,
                num_images=len(coco['images']),
                num_annotations=len(coco['annotations']),
                num_skipped_boxes=num_skipped)


def _is_coco_dataset(dataset_type) -> bool:
    """Whether a config ``type`` (name or class) is CocoDataset or a subclass."""
    cls = DATASETS.get(dataset_type) if isinstance(dataset_type, str) else dataset_type
    return isinstance(cls, type) and issubclass(cls, CocoDataset)


def _coco_datasets(dataset: dict, where: str) -> Iterator[Tuple[str, dict]]:
    """Yield ``(where, cfg)`` for every COCO-style dataset under wrappers."""
    if 'dataset' in dataset:  # RepeatDataset, ClassBalancedDataset, ...
        yield from _coco_datasets(dataset['dataset'], f'{where}.dataset')
    elif 'datasets' in dataset:  # ConcatDataset
        for index, child in enumerate(dataset['datasets']):
            yield from _coco_datasets(child, f'{where}.datasets[{index}]')
    elif _is_coco_dataset(dataset.get('type')):
        yield where, dataset


def check_config_datasets(cfg) -> Dict[str, dict]:
    """Run :func:`check_coco_dataset` on the datasets of a config's dataloaders.

    Looks at ``train_dataloader``, ``val_dataloader`` and ``test_dataloader``
    (absent or ``None`` ones are skipped) and through dataset wrappers (a
    ``dataset`` key, e.g. ``RepeatDataset``, or a ``datasets`` list, e.g.
    ``ConcatDataset``). Datasets that are not ``CocoDataset`` or a subclass are
    not checked. A dataset used by several dataloaders is checked once.

    Args:
        cfg (mmengine.Config | dict): The config.

    Returns:
        dict[str, dict]: :func:`check_coco_dataset`'s result for every checked
        dataset, keyed by where it is in the config, e.g.
        ``'train_dataloader.dataset.dataset'``.

    Raises:
        FileNotFoundError | ValueError: As :func:`check_coco_dataset`, with the
            dataset's place in the config prepended to the message.
    """
    results, seen = {}, {}
    for loader in _DATALOADERS:
        if not cfg.get(loader) or 'dataset' not in cfg[loader]:
            continue
        for where, dataset in _coco_datasets(cfg[loader]['dataset'],
                                             f'{loader}.dataset'):
            data_root = dataset.get('data_root')
            ann_file = dataset.get('ann_file', '')
            img_dir = (dataset.get('data_prefix') or {}).get('img', '')
            key = (_join_root(data_root, ann_file), _join_root(data_root, img_dir))
            if key not in seen:
                try:
                    seen[key] = check_coco_dataset(data_root, ann_file, img_dir)
                except (FileNotFoundError, ValueError) as err:
                    raise type(err)(f'{where}: {err}') from err
            results[where] = seen[key]
    return results
