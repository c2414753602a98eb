"""Dataset doctor: decode every image of a config's datasets and check it against
its annotations, listing each problem on one line.

    python tools/data/check_dataset.py CONFIG [--split train val test] [--workers N]

:mod:`.checks` only looks at paths and the annotation file; a truncated JPEG, an
image whose annotated ``width`` / ``height`` is wrong or a label outside the
classes only shows up once a worker loads it, possibly hours into training (and
OpenCV decodes a truncated JPEG without an error, padding it with grey). Covered:

- mmdet ``CocoDataset`` and subclasses: every image decodes, its decoded size is
  the annotated ``width`` / ``height``, every box lies inside the image (within
  :data:`BOX_TOLERANCE` pixels) with a positive area, every ``category_id`` is
  one of the classes' categories (``metainfo['classes']`` matched to the
  categories' names, as mmdet does) and every class has a category;
- mmseg ``BaseSegDataset`` and subclasses: every image and label map decodes,
  both have the same size, and every label value (after ``reduce_zero_label``
  and ``label_map``, as mmseg's ``LoadAnnotations`` applies them) is a class
  index or the ignore index;
- mmpretrain ``CustomDataset`` and subclasses (``ImageNet``): every image
  decodes and every label is a class index.

The annotations are read by the datasets' own classes (``lazy_init=True`` and
``load_data_list()``, as the Runner builds them, without their pipelines).
Decoding runs in ``--workers`` processes. What a file decodes to is cached next
to the annotation file (``.<ann_file name>.check_dataset_cache.json``), or in the
data root for datasets without one (``.check_dataset_cache.json``), keyed by the
file's size and mtime and :data:`CHECKER_VERSION`: a second run only decodes
changed files. The annotations themselves are re-read and re-checked on every
run (that is cheap).

An image whose decoded size disagrees with its annotation is reported, not
fixed: whether training should rescale its boxes is not decided.
"""
import contextlib
import io
import json
import os
import os.path as osp
import tempfile
from concurrent.futures import ProcessPoolExecutor
from typing import Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
from PIL import Image, ImageFile

from .checks import (_DATALOADERS, _dataset_class, _is_remote, _leaf_datasets,
                     _subclass_of)

__all__ = ['CHECKER_VERSION', 'BOX_TOLERANCE', 'Problem', 'check_datasets', 'main']

# Bump when what a decode records or how it decides changes: old caches are dropped.
CHECKER_VERSION = 1
# Boxes may stick out of their image by this many pixels: rounding of float
# coordinates (COCO's own boxes overshoot by fractions of a pixel) is no error.
BOX_TOLERANCE = 0.5
_CACHE_NAME = '.check_dataset_cache.json'
# EXIF orientations that swap width and height; mmcv's default (cv2) decoding
# applies them, so the pipeline sees the rotated size.
_TRANSPOSING_ORIENTATIONS = (5, 6, 7, 8)
_EXIF_ORIENTATION = 0x0112


class Problem(NamedTuple):
    """One problem: ``path`` (the file), ``field`` (what is wrong: an annotation
    field or ``file``), ``kind`` (for the summary) and ``message``."""
    path: str
    field: str
    kind: str
    message: str

    def __str__(self) -> str:
        return f'{self.path}: {self.field}: {self.message}'


def _decode(task: Tuple[str, str]) -> dict:
    """Decode one file fully (``role`` 'image' or 'label') and say what it holds:
    ``size`` ([w, h]; a label map's ``values`` too) or ``error``. Runs in the
    worker processes."""
    path, role = task
    # a library may have switched this on; a truncated file must fail here
    truncated_ok = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with Image.open(path) as img:
            img.load()  # verify() does not decode the pixels
            width, height = img.size
            if role == 'label':
                # mmseg reads label maps unchanged: a palette PNG gives its indices
                values = np.unique(np.asarray(img)).tolist()
                return dict(role=role, size=[width, height], values=values)
            if img.getexif().get(_EXIF_ORIENTATION) in _TRANSPOSING_ORIENTATIONS:
                width, height = height, width
            return dict(role=role, size=[width, height])
    except Exception as err:  # PIL raises OSError, SyntaxError, ValueError, ...
        return dict(role=role, error=f'{type(err).__name__}: {err}')
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = truncated_ok


class _Cache:
    """Decode results of the files of one cache file, keyed by the path relative
    to it and checked against the file's size and mtime."""

    def __init__(self, path: str):
        self.path = path
        self.entries: Dict[str, list] = {}
        try:
            with open(path) as f:
                saved = json.load(f)
            if saved.get('version') == CHECKER_VERSION:
                self.entries = saved['files']
        except (OSError, ValueError, KeyError, AttributeError):
            pass  # no cache, or an unreadable one: decode everything again
        self.changed = False

    def _key(self, path: str) -> str:
        return osp.relpath(osp.abspath(path), osp.dirname(osp.abspath(self.path)))

    def get(self, path: str, stat: os.stat_result, role: str) -> Optional[dict]:
        entry = self.entries.get(self._key(path))
        if entry and entry[:2] == [stat.st_size, stat.st_mtime_ns] and \
                entry[2].get('role') == role:
            return entry[2]
        return None

    def put(self, path: str, stat: os.stat_result, result: dict) -> None:
        self.entries[self._key(path)] = [stat.st_size, stat.st_mtime_ns, result]
        self.changed = True

    def save(self) -> Optional[str]:
        """Write the cache atomically (a reader never sees half of it); the
        error's text when it cannot be written (e.g. a read-only dataset)."""
        if not self.changed:
            return None
        folder = osp.dirname(osp.abspath(self.path))
        try:
            fd, tmp = tempfile.mkstemp(prefix='.check_dataset_', dir=folder)
            try:
                with os.fdopen(fd, 'w') as f:
                    json.dump(dict(version=CHECKER_VERSION, files=self.entries), f)
                os.replace(tmp, self.path)
            except BaseException:
                os.unlink(tmp)
                raise
        except OSError as err:
            return str(err)
        self.changed = False
        return None


class _Dataset:
    """One dataset of the config: its kind ('det', 'seg' or 'cls'), the data
    list its class loaded and what the checks need."""

    def __init__(self, where: str, kind: str, dataset, items: List[dict],
                 cache_path: str):
        self.where, self.kind, self.dataset = where, kind, dataset
        self.items, self.cache_path = items, cache_path

    def files(self) -> Iterable[Tuple[str, str]]:
        for item in self.items:
            yield item['img_path'], 'image'
            if item.get('seg_map_path'):
                yield item['seg_map_path'], 'label'


def _cache_path(ann_file: str, data_root: Optional[str], img_dir: str) -> str:
    if ann_file and osp.isfile(ann_file):
        folder, name = osp.split(ann_file)
        return osp.join(folder, f'.{name}{_CACHE_NAME}')
    return osp.join(data_root or img_dir or '.', _CACHE_NAME)


def _load_coco(dataset) -> List[dict]:
    """mmdet's ``load_data_list`` keeping the raw image and annotation entries
    (its own parsing drops bad boxes and fails on unknown category ids)."""
    items = []

    def keep_raw(raw_data_info: dict) -> dict:
        img = raw_data_info['raw_img_info']
        items.append(dict(
            img_path=osp.join(dataset.data_prefix['img'], img['file_name']),
            img=img, anns=raw_data_info['raw_ann_info']))
        return {}

    dataset.parse_data_info = keep_raw  # the instance's, called by load_data_list
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools' chatter
        dataset.load_data_list()
    return items


def _build(where: str, cfg: dict, scope: str) -> Optional[_Dataset]:
    """Build a dataset config's dataset lazily and load its data list; ``None``
    for a kind of dataset this does not check."""
    # a dataset from a base config of another package carries that package's scope
    scope = cfg.pop('_scope_', scope)
    cls = _dataset_class(cfg.get('type'), scope)
    if _subclass_of(cls, 'mmdet.datasets', 'CocoDataset'):
        kind = 'det'
    elif _subclass_of(cls, 'mmseg.datasets', 'BaseSegDataset'):
        kind = 'seg'
    elif _subclass_of(cls, 'mmpretrain.datasets', 'CustomDataset'):
        kind = 'cls'
    else:
        return None
    args = {k: v for k, v in cfg.items() if k != 'type'}
    # the pipeline is not run, and its transforms may live in another scope
    dataset = cls(**dict(args, pipeline=[], lazy_init=True))
    items = _load_coco(dataset) if kind == 'det' else dataset.load_data_list()
    prefix = dataset.data_prefix
    img_dir = prefix.get('img') or prefix.get('img_path') or ''
    cache = _cache_path(dataset.ann_file, dataset.data_root, img_dir)
    return _Dataset(where, kind, dataset, items, cache)


def _box_problems(path: str, ann: dict, ann_file: str, size: Sequence[int]) -> \
        List[Problem]:
    x, y, w, h = ann['bbox']
    width, height = size
    what = f"annotation {ann.get('id')} in '{ann_file}': box {ann['bbox']}"
    if w <= 0 or h <= 0:
        return [Problem(path, 'bbox', 'bbox', f'{what} has no area')]
    if x < -BOX_TOLERANCE or y < -BOX_TOLERANCE or \
            x + w > width + BOX_TOLERANCE or y + h > height + BOX_TOLERANCE:
        return [Problem(path, 'bbox', 'bbox',
                        f'{what} is not inside the {width}x{height} image')]
    return []


def _check_det(ds: _Dataset, decoded: Dict[str, dict]) -> List[Problem]:
    dataset, ann_file = ds.dataset, ds.dataset.ann_file
    classes = dataset.metainfo['classes']
    cat_ids = set(dataset.cat_ids)
    problems = []
    if len(dataset.cat_ids) != len(classes):  # mmdet would shift the labels
        problems.append(Problem(
            ann_file, 'categories', 'category',
            f'{len(classes) - len(dataset.cat_ids)} of the classes {classes} '
            'have no category of that name'))
    for item in ds.items:
        path, img = item['img_path'], item['img']
        result = decoded[path]
        annotated = [img.get('width'), img.get('height')]
        size = result.get('size', annotated)
        if 'size' in result and result['size'] != annotated:
            problems.append(Problem(
                path, 'width/height', 'size',
                f"image {img.get('id')} in '{ann_file}' says "
                f'{annotated[0]}x{annotated[1]}, the file decodes to '
                f'{size[0]}x{size[1]}'))
        for ann in item['anns']:
            problems += _box_problems(path, ann, ann_file, size)
            if ann.get('category_id') not in cat_ids:
                problems.append(Problem(
                    path, 'category_id', 'category',
                    f"annotation {ann.get('id')} in '{ann_file}' has category "
                    f"{ann.get('category_id')}, not one of the ids "
                    f'{sorted(cat_ids)} of the classes {tuple(classes)}'))
    return problems


def _seg_values(values: List[int], item: dict) -> np.ndarray:
    """Label values as mmseg's LoadAnnotations turns them into training ids."""
    values = np.array(values, dtype=np.int64)
    if item.get('reduce_zero_label'):
        values = np.where(values == 0, 255, values - 1)
        values[values == 254] = 255
    mapped = values.copy()  # mmseg maps from the original values
    for old, new in (item.get('label_map') or {}).items():
        mapped[values == old] = new
    return mapped


def _check_seg(ds: _Dataset, decoded: Dict[str, dict]) -> List[Problem]:
    num_classes = len(ds.dataset.metainfo['classes'])
    ignore_index = ds.dataset.ignore_index
    problems = []
    for item in ds.items:
        if not item.get('seg_map_path'):
            continue
        image, label = decoded[item['img_path']], decoded[item['seg_map_path']]
        if 'size' not in label:
            continue
        if 'size' in image and image['size'] != label['size']:
            problems.append(Problem(
                item['seg_map_path'], 'size', 'size',
                f"label map is {label['size'][0]}x{label['size'][1]}, its image "
                f"'{item['img_path']}' {image['size'][0]}x{image['size'][1]}"))
        values = _seg_values(label['values'], item)
        wrong = (values < 0) | ((values >= num_classes) & (values != ignore_index))
        bad = sorted(set(values[wrong].tolist()))
        if bad:
            problems.append(Problem(
                item['seg_map_path'], 'label', 'label',
                f'values {bad} are neither a class (0-{num_classes - 1}) nor the '
                f'ignore index {ignore_index}'))
    return problems


def _check_cls(ds: _Dataset, decoded: Dict[str, dict]) -> List[Problem]:
    num_classes = len(ds.dataset.metainfo.get('classes') or ())
    problems = []
    for item in ds.items:
        labels = np.atleast_1d(np.asarray(item.get('gt_label', [])))
        bad = [int(v) for v in labels if not 0 <= v < num_classes]
        if bad:
            where = f"'{ds.dataset.ann_file}'" if ds.dataset.ann_file else 'folder'
            problems.append(Problem(
                item['img_path'], 'gt_label', 'label',
                f'label {bad} (from {where}) is not a class index '
                f'(0-{num_classes - 1})'))
    return problems


_CHECKS = dict(det=_check_det, seg=_check_seg, cls=_check_cls)


def _decode_all(datasets: List[_Dataset],
                workers: int) -> Tuple[dict, list, int, int]:
    """Decode every file of ``datasets`` not in its cache, ``workers`` at a time.

    Returns the results by path, the problems of missing files and how many
    files were decoded and how many taken from a cache."""
    decoded, problems, todo, stats = {}, [], {}, {}
    caches, num_cached = {}, 0
    for ds in datasets:
        cache = caches.setdefault(ds.cache_path, _Cache(ds.cache_path))
        for path, role in ds.files():
            if path in decoded or path in todo:
                continue
            try:
                stats[path] = os.stat(path)
            except OSError as err:
                decoded[path] = dict(role=role, error=err.strerror, missing=True)
                problems.append(Problem(path, 'file', 'missing',
                                        f'cannot be read ({err.strerror})'))
                continue
            hit = cache.get(path, stats[path], role)
            if hit is None:
                todo[path] = (role, cache)
            else:
                decoded[path], num_cached = hit, num_cached + 1
    tasks = [(path, role) for path, (role, _) in todo.items()]
    if workers > 1 and len(tasks) > 1:
        chunk = max(1, min(64, len(tasks) // (workers * 4)))
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_decode, tasks, chunksize=chunk))
    else:  # no processes to start for one worker
        results = [_decode(task) for task in tasks]
    for (path, role), result in zip(tasks, results):
        decoded[path] = result
        todo[path][1].put(path, stats[path], result)
    for cache in caches.values():
        error = cache.save()
        if error:
            print(f'warning: cache not written ({error}); the next run decodes '
                  'again')
    return decoded, problems, len(tasks), num_cached


def check_datasets(cfg, splits: Sequence[str] = ('train', 'val', 'test'),
                   workers: int = 1) -> Tuple[List[Problem], dict]:
    """Check the datasets of ``splits`` of a config; see the module docstring.

    Args:
        cfg (mmengine.Config | dict): The config.
        splits (Sequence[str]): Which dataloaders (``<split>_dataloader``) to
            check. Defaults to all three.
        workers (int): Processes decoding images. Defaults to 1 (no processes).

    Returns:
        tuple[list[Problem], dict]: The problems, and ``num_images``,
        ``num_decoded`` and ``num_cached`` (files decoded, and taken from a
        cache: images and label maps), ``skipped`` (where each
        dataset that was not checked is in the config, with why).
    """
    scope = cfg.get('default_scope') or 'mmdet'
    loaders = [f'{split}_dataloader' for split in splits]
    datasets, problems, skipped, seen = [], [], {}, set()
    for loader in (name for name in _DATALOADERS if name in loaders):
        if not cfg.get(loader) or 'dataset' not in cfg[loader]:
            continue
        for where, dataset in _leaf_datasets(cfg[loader]['dataset'],
                                             f'{loader}.dataset'):
            key = json.dumps({k: v for k, v in dataset.items() if k != 'pipeline'},
                             sort_keys=True, default=str)
            if key in seen:  # e.g. test_dataloader = val_dataloader
                continue
            seen.add(key)
            if _is_remote(dataset):
                skipped[where] = 'read through a storage backend'
                continue
            try:
                built = _build(where, dict(dataset), scope)
            except Exception as err:  # whatever the dataset class raises
                problems.append(Problem(where, 'dataset', 'dataset',
                                        f'{type(err).__name__}: {err}'))
                continue
            if built is None:
                skipped[where] = f"{dataset.get('type')} is not checked"
            else:
                datasets.append(built)
    decoded, missing, num_decoded, num_cached = _decode_all(datasets, workers)
    problems += missing
    for path, result in decoded.items():
        if 'error' in result and not result.get('missing'):
            problems.append(Problem(path, 'file', 'unreadable',
                                    f"does not decode ({result['error']})"))
    for ds in datasets:
        problems += _CHECKS[ds.kind](ds, decoded)
    num_images = len({item['img_path'] for ds in datasets for item in ds.items})
    return problems, dict(num_images=num_images, num_decoded=num_decoded,
                          num_cached=num_cached, skipped=skipped)
