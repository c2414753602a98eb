"""Check the datasets of a config before training, with errors that say what to fix.

mmdet fails late and obscurely on a wrong ``data_root`` (a ``FileNotFoundError``
deep inside pycocotools) or on a missing image (only when a worker first loads it,
possibly hours into training); mmseg and mmpretrain fail with a traceback from deep
inside their dataset classes. :func:`check_coco_dataset` reads a COCO annotation file
once and checks every image up front; :func:`check_config_datasets` checks the
datasets of a config's dataloaders: COCO ones in full, mmseg and mmpretrain ones by
their ``data_root``, image / label folders and annotation file, any other by its
``data_root``.

Boxes with zero width, height or area, or lying completely outside their image, are
not errors: ``mmdet.datasets.CocoDataset.parse_data_info`` skips any annotation with
``w < 1``, ``h < 1``, ``area <= 0`` or no overlap with the image. They are counted
and reported as a warning so that a dataset that loses many boxes is noticed.

Only local paths are checked (not ``backend_args`` / remote storage).
"""
import inspect
import json
import logging
import os.path as osp
import sys
from typing import Dict, Iterator, Optional, Tuple

from mmengine.logging import print_log
from mmengine.registry import DATASETS

__all__ = ['check_coco_dataset', 'check_config_datasets']

_REQUIRED_FIELDS = ('images', 'annotations', 'categories')
# Keys CocoDataset reads from every image / annotation entry.
_IMAGE_KEYS = ('id', 'file_name', 'width', 'height')
_ANNOTATION_KEYS = ('image_id', 'category_id', 'bbox', 'area')
# How many missing images an error message names.
_NUM_NAMED = 5
_DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
# What a missing path's message says the dataset should look like.
_COCO_LAYOUT = (' Expected: a COCO-style folder holding annotations/instances_*.json '
                'and the image folders, e.g. data/coco/ '
                '(tools/data/generate_shapes_coco.py DIR writes a small generated '
                'one).')
_SEG_LAYOUT = (' Expected: the dataset in mmseg\'s layout, e.g. data/coco_stuff164k/ '
               'holding images/{train2017,val2017}/*.jpg and '
               'annotations/{train2017,val2017}/*_labelTrainIds.png '
               '(tools/data/generate_shapes_stuff.py DIR writes a small generated '
               'one).')
_CLS_LAYOUT = (' Expected: an ImageNet-style folder, e.g. data/imagenet/ holding '
               '<split>/<class>/ images and meta/<split>.txt labels '
               '(tools/data/generate_imagenet_folder.py DIR writes a small '
               'generated one).')


def _join_root(data_root: Optional[str], path: str) -> str:
    # The rule of mmengine's BaseDataset._join_prefix.
    return osp.join(data_root, path) if data_root and not osp.isabs(path) else path


def _check_data_root(data_root: str, layout: str) -> None:
    if not osp.isdir(data_root):
        raise FileNotFoundError(
            f"Dataset root '{data_root}' (absolute: '{osp.abspath(data_root)}') "
            "does not exist or is not a folder; fix the config's `data_root` or put "
            f'the dataset there.{layout}')


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
    if data_root:
        _check_data_root(data_root, _COCO_LAYOUT)
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


def _subclass_of(cls, module: str, name: str) -> bool:
    """Whether ``cls`` derives from ``module.name``. ``module`` is not imported: a
    class cannot derive from a library's class that was never imported, and
    importing mmseg's datasets just to say no costs every detection run seconds."""
    base = getattr(sys.modules.get(module), name, None)
    return isinstance(cls, type) and base is not None and issubclass(cls, base)


def _dataset_class(dataset_type, scope: str):
    """The class a config ``type`` (name or class) builds in ``scope``; ``None``
    when no registry knows it."""
    if not isinstance(dataset_type, str):
        return dataset_type
    if '.' not in dataset_type:  # a bare name is the scope's, as the Runner builds it
        dataset_type = f'{scope}.{dataset_type}'
    return DATASETS.get(dataset_type)


def _is_remote(dataset: dict) -> bool:
    """Whether the dataset reads through a storage backend (petrel, http, ...)."""
    backend = (dataset.get('backend_args') or {}).get('backend', 'local')
    return backend != 'local' or '://' in str(dataset.get('data_root') or '')


def _require(path: str, what: str, field: str, layout: str) -> None:
    """Raise naming ``field`` when the file or folder ``path`` does not exist
    (``''``, the working directory, does)."""
    if path and not osp.exists(path):
        raise FileNotFoundError(
            f"{what} '{path}' (absolute: '{osp.abspath(path)}') does not exist; fix "
            f"the config's `{field}` (relative to `data_root` unless absolute)."
            f'{layout}')


def _check_seg_dataset(dataset: dict, data_root: Optional[str]) -> dict:
    """The folders (and ``ann_file``, a list of names) mmseg's BaseSegDataset
    reads; it lists ``img_path`` and pairs each image with a map in
    ``seg_map_path``."""
    if data_root:
        _check_data_root(data_root, _SEG_LAYOUT)
    prefix = dataset.get('data_prefix') or {}
    checked = dict(data_root=data_root,
                   img_dir=_join_root(data_root, prefix.get('img_path', '')))
    _require(checked['img_dir'], 'Image folder', 'data_prefix.img_path', _SEG_LAYOUT)
    if prefix.get('seg_map_path') is not None:
        checked['seg_map_dir'] = _join_root(data_root, prefix['seg_map_path'])
        _require(checked['seg_map_dir'], 'Label map folder',
                 'data_prefix.seg_map_path', _SEG_LAYOUT)
    if dataset.get('ann_file'):
        checked['ann_file'] = _join_root(data_root, dataset['ann_file'])
        _require(checked['ann_file'], 'Annotation file', 'ann_file', _SEG_LAYOUT)
    return checked


def _check_cls_dataset(cls, dataset: dict, data_root: Optional[str]) -> dict:
    """The image folder and ``ann_file`` of mmpretrain's CustomDataset (ImageNet
    included, whose ``split`` names the folder when ``data_prefix`` is empty)."""
    if data_root:
        _check_data_root(data_root, _CLS_LAYOUT)
    prefix = dataset.get('data_prefix') or ''
    field = 'data_prefix'
    if not isinstance(prefix, str):
        prefix, field = prefix.get('img_path', ''), 'data_prefix.img_path'
    if not prefix and dataset.get('split') and _subclass_of(
            cls, 'mmpretrain.datasets', 'ImageNet'):
        prefix, field = dataset['split'], 'split'
    checked = dict(data_root=data_root, img_dir=_join_root(data_root, prefix))
    _require(checked['img_dir'], 'Image folder', field, _CLS_LAYOUT)
    if dataset.get('ann_file'):
        checked['ann_file'] = _join_root(data_root, dataset['ann_file'])
        _require(checked['ann_file'], 'Annotation file', 'ann_file', _CLS_LAYOUT)
    return checked


def _check_dataset(dataset: dict, scope: str, coco_seen: dict) -> Optional[dict]:
    """Check one dataset config; ``None`` when it is left to its library."""
    if _is_remote(dataset):
        return None
    cls = _dataset_class(dataset.get('type'), scope)
    data_root = dataset.get('data_root')
    if _subclass_of(cls, 'mmdet.datasets', 'CocoDataset'):
        ann_file = dataset.get('ann_file', '')
        img_dir = (dataset.get('data_prefix') or {}).get('img', '')
        # the annotation file is read: once for a dataset several loaders use
        key = (_join_root(data_root, ann_file), _join_root(data_root, img_dir))
        if key not in coco_seen:
            coco_seen[key] = check_coco_dataset(data_root, ann_file, img_dir)
        return coco_seen[key]
    if _subclass_of(cls, 'mmseg.datasets', 'BaseSegDataset'):
        return _check_seg_dataset(dataset, data_root)
    if _subclass_of(cls, 'mmpretrain.datasets', 'CustomDataset'):
        return _check_cls_dataset(cls, dataset, data_root)
    # a class that can download its data may create data_root itself (CIFAR, MNIST)
    if not data_root or (isinstance(cls, type)
                         and 'download' in inspect.signature(cls).parameters):
        return None
    _check_data_root(data_root, '')
    return dict(data_root=data_root)


def _leaf_datasets(dataset: dict, where: str) -> Iterator[Tuple[str, dict]]:
    """Yield ``(where, cfg)`` for every dataset under wrappers."""
    if 'dataset' in dataset:  # RepeatDataset, ClassBalancedDataset, ...
        yield from _leaf_datasets(dataset['dataset'], f'{where}.dataset')
    elif 'datasets' in dataset:  # ConcatDataset
        for index, child in enumerate(dataset['datasets']):
            yield from _leaf_datasets(child, f'{where}.datasets[{index}]')
    else:
        yield where, dataset


def check_config_datasets(cfg) -> Dict[str, dict]:
    """Check the datasets of a config's dataloaders before anything is built.

    Looks at ``train_dataloader``, ``val_dataloader`` and ``test_dataloader``
    (absent or ``None`` ones are skipped) and through dataset wrappers (a
    ``dataset`` key, e.g. ``RepeatDataset``, or a ``datasets`` list, e.g.
    ``ConcatDataset``). Dataset types are looked up in the config's
    ``default_scope`` (mmdet's when it has none). Checked:

    - mmdet ``CocoDataset`` and subclasses: :func:`check_coco_dataset` (once for
      a dataset several dataloaders use);
    - mmseg ``BaseSegDataset`` and subclasses: ``data_root``, the
      ``data_prefix`` folders ``img_path`` and ``seg_map_path`` and ``ann_file``
      if given;
    - mmpretrain ``CustomDataset`` and subclasses (``ImageNet``): ``data_root``,
      the image folder (``data_prefix``, or ImageNet's ``split``) and
      ``ann_file`` if given;
    - any other dataset: its ``data_root``, unless the class can download its
      data (a ``download`` argument).

    Datasets read through a storage backend (``backend_args``, URLs) are not
    checked.

    Args:
        cfg (mmengine.Config | dict): The config.

    Returns:
        dict[str, dict]: For every checked dataset, keyed by where it is in the
        config (e.g. ``'train_dataloader.dataset.dataset'``):
        :func:`check_coco_dataset`'s result, or the paths checked (``data_root``,
        and ``img_dir``, ``seg_map_dir``, ``ann_file`` where checked).

    Raises:
        FileNotFoundError | ValueError: A path is missing or, for COCO, as
            :func:`check_coco_dataset`; the message starts with the dataset's
            place in the config and names the config field and the path.
    """
    # a config without one is taken for mmdet's, like this package's detection ones
    scope = cfg.get('default_scope') or 'mmdet'
    results, coco_seen = {}, {}
    for loader in _DATALOADERS:
        if not cfg.get(loader) or 'dataset' not in cfg[loader]:
            continue
        for where, dataset in _leaf_datasets(cfg[loader]['dataset'],
                                             f'{loader}.dataset'):
            try:
                result = _check_dataset(dataset, scope, coco_seen)
            except (FileNotFoundError, ValueError) as err:
                raise type(err)(f'{where}: {err}') from err
            if result is not None:
                results[where] = result
    return results
