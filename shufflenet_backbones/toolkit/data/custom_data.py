"""Point a detection config at a COCO folder of your own (``tools/train.py --data``).

The folder is laid out as ``tools/data/generate_shapes_coco.py OUT`` writes it
(and ``data/coco`` is, with other split names)::

    DIR/annotations/instances_train.json
    DIR/annotations/instances_val.json
    DIR/train/<file_name of each image>
    DIR/val/<file_name of each image>

:func:`apply_custom_data` reads the class names from the train annotations
(the categories sorted by id; val must list the same ones) and sets, in place:

- every ``num_classes`` of the model (bbox heads, lists of them in cascades,
  mask heads, one-stage heads) except the RPN's, which is class-agnostic;
- the train, val and test datasets (through wrappers such as RepeatDataset):
  ``data_root`` (absolute, so the written config works from any folder),
  ``ann_file``, ``data_prefix`` and ``metainfo=dict(classes=..., palette=...)``;
  test reads the val split;
- the ``ann_file`` of every ``CocoMetric`` of ``val_evaluator`` and
  ``test_evaluator``.

:func:`run_doctor` then runs the dataset doctor (:mod:`.doctor`) over the train
and val datasets and raises :class:`DatasetProblems`, listing them, if it finds
any.

Example:
    >>> from mmengine import Config
    >>> cfg = Config.fromfile('configs/det/lighthead_shufflenetv2.py')
    >>> data = apply_custom_data(cfg, 'data/my_data')
    >>> data.classes, data.num_classes_at
    (('cat', 'dog'), ['model.roi_head.bbox_head'])
"""
import os.path as osp
from typing import Dict, List, NamedTuple, Sequence, Tuple

import numpy as np

from ..errors import CLIError
from .checks import _dataset_class, _load_annotations
from .doctor import Problem, check_datasets

__all__ = [
    'ANN_FILES', 'IMG_DIRS', 'LAYOUT', 'CustomData', 'DatasetProblems',
    'read_classes', 'set_num_classes', 'set_datasets', 'set_evaluators',
    'apply_custom_data', 'run_doctor', 'describe_custom_data'
]

# The folder's layout, relative to DIR: that of generate_shapes_coco.
ANN_FILES = dict(train='annotations/instances_train.json',
                 val='annotations/instances_val.json')
IMG_DIRS = dict(train='train/', val='val/')
# Which split each dataloader reads: the test loop evaluates on val (a COCO
# folder of your own has no separate, annotated test split in this layout).
_LOADER_SPLITS = dict(train_dataloader='train', val_dataloader='val',
                      test_dataloader='val')
_EVALUATORS = ('val_evaluator', 'test_evaluator')
LAYOUT = ('expected DIR/annotations/instances_train.json, '
          'DIR/annotations/instances_val.json and the images in DIR/train/ and '
          'DIR/val/ (the layout tools/data/generate_shapes_coco.py OUT writes; '
          'tools/data/convert.py converts VOC, YOLO, CSV and LabelMe data to it)')
# How many of the doctor's problems a DatasetProblems error lists.
MAX_LISTED = 50


class CustomData(NamedTuple):
    """What :func:`apply_custom_data` set: the absolute ``data_root``, the
    ``classes``, and where in the config it set ``num_classes``
    (``num_classes_at``), the datasets (``datasets_at``) and the evaluators'
    ``ann_file`` (``evaluators_at``)."""
    data_root: str
    classes: Tuple[str, ...]
    num_classes_at: List[str]
    datasets_at: List[str]
    evaluators_at: List[str]


class DatasetProblems(CLIError):
    """The dataset doctor found problems: ``problems`` lists them (each
    printable on one line naming the file and field); the message says how
    many."""

    def __init__(self, message: str, problems: Sequence[Problem]):
        super().__init__(message)
        self.problems = list(problems)


# ---------------------------------------------------------------------------------
# the classes


def _categories(path: str) -> List[Tuple[int, str]]:
    """``(id, name)`` of the categories of a COCO file, sorted by id, checked:
    every entry has both, no id or name twice."""
    try:
        coco = _load_annotations(path)
    except FileNotFoundError as err:
        raise CLIError(f'{path}: not found; {LAYOUT}') from err
    except ValueError as err:
        raise CLIError(str(err)) from err
    categories = []
    for index, cat in enumerate(coco['categories']):
        if not isinstance(cat, dict) or 'id' not in cat or 'name' not in cat:
            raise CLIError(f"{path}: categories[{index}]: needs an 'id' and a "
                           f"'name', got {cat!r}")
        categories.append((cat['id'], str(cat['name'])))
    categories.sort(key=lambda cat: cat[0])
    for field, values in (('id', [c[0] for c in categories]),
                          ('name', [c[1] for c in categories])):
        twice = sorted({v for v in values if values.count(v) > 1}, key=str)
        if twice:
            # mmdet selects the categories by name and maps them by id
            raise CLIError(f'{path}: categories: the {field}s {twice} are given '
                           'more than once; each category needs its own id and name')
    return categories


def read_classes(data_dir: str) -> Tuple[str, ...]:
    """The class names of a COCO folder: its train categories sorted by id.

    Args:
        data_dir (str): The folder (see the module docstring).

    Returns:
        tuple[str, ...]: The names, the order of the model's class indices.

    Raises:
        CLIError: The folder, an annotation file or an image folder is missing,
            an annotation file is unreadable, its categories are malformed, or
            val's categories differ from train's; the message names the file
            and field.
    """
    if not osp.isdir(data_dir):
        raise CLIError(f'--data {data_dir}: not a folder; {LAYOUT}')
    for split, img_dir in IMG_DIRS.items():
        if not osp.isdir(osp.join(data_dir, img_dir)):
            raise CLIError(f'{osp.join(data_dir, img_dir)}: the {split} image folder '
                           f'is missing; {LAYOUT}')
    train_file, val_file = (osp.join(data_dir, ANN_FILES[s]) for s in ('train', 'val'))
    train, val = _categories(train_file), _categories(val_file)
    if train != val:
        extra = [c for c in val if c not in train]
        missing = [c for c in train if c not in val]
        raise CLIError(
            f'{val_file}: categories: differ from those of {train_file} (the '
            f'classes are read from it): not in train: {extra}, missing: {missing} '
            '(as (id, name)); both files need the same categories')
    return tuple(name for _, name in train)


# ---------------------------------------------------------------------------------
# the config


def _is_rpn(key: str, node: dict) -> bool:
    return key == 'rpn_head' or 'RPN' in str(node.get('type', ''))


def set_num_classes(node, num_classes: int, where: str = 'model') -> List[str]:
    """Set every ``num_classes`` under a model config, in place, except in RPN
    heads (class-agnostic: ``rpn_head``, or a type naming ``RPN``).

    Args:
        node (dict | list): The model config (or a part of it).
        num_classes (int): The number of classes.
        where (str): ``node``'s place in the config, for the result.

    Returns:
        list[str]: Where it was set, e.g. ``['model.roi_head.bbox_head[0]']``.

    Example:
        >>> model = dict(rpn_head=dict(num_classes=1), roi_head=dict(
        ...     bbox_head=[dict(num_classes=80), dict(num_classes=80)]))
        >>> set_num_classes(model, 2)
        ['model.roi_head.bbox_head[0]', 'model.roi_head.bbox_head[1]']
    """
    found = []
    if isinstance(node, dict):
        if 'num_classes' in node:
            node['num_classes'] = num_classes
            found.append(where)
        for key, value in node.items():
            if isinstance(value, dict) and _is_rpn(key, value):
                continue
            found += set_num_classes(value, num_classes, f'{where}.{key}')
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            found += set_num_classes(value, num_classes, f'{where}[{index}]')
    return found


def _palette(metainfo: dict, num_classes: int) -> List[Tuple[int, int, int]]:
    """The config's colours where it has enough, else mmdet's COCO ones, else
    fixed random ones (mmdet's visualizers need one per class)."""
    palette = list((metainfo or {}).get('palette') or [])
    if len(palette) < num_classes:
        from mmdet.datasets import CocoDataset
        palette = list(CocoDataset.METAINFO['palette'])
    if len(palette) < num_classes:
        colours = np.random.RandomState(0).randint(0, 256, (num_classes, 3))
        palette = [tuple(int(v) for v in c) for c in colours]
    return [tuple(int(v) for v in c) for c in palette[:num_classes]]


def _coco_leaves(dataset: dict, where: str) -> List[Tuple[str, dict]]:
    """The leaf datasets under wrappers, in place. A ConcatDataset keeps only
    its first child: every child would read the same folder, repeating it."""
    if 'dataset' in dataset:  # RepeatDataset, ClassBalancedDataset, ...
        return _coco_leaves(dataset['dataset'], f'{where}.dataset')
    if 'datasets' in dataset:  # ConcatDataset
        dataset['datasets'] = list(dataset['datasets'])[:1]
        return _coco_leaves(dataset['datasets'][0], f'{where}.datasets[0]')
    return [(where, dataset)]


def _is_coco_type(dataset_type, scope: str) -> bool:
    from mmdet.datasets import CocoDataset
    cls = _dataset_class(dataset_type, scope)
    return isinstance(cls, type) and issubclass(cls, CocoDataset)


def set_datasets(cfg, data_root: str, classes: Sequence[str]) -> List[str]:
    """Point the train / val / test datasets (those the config has) at the
    folder, in place.

    Sets ``data_root``, ``ann_file``, ``data_prefix=dict(img=...)`` and
    ``metainfo`` (``classes``, and a ``palette`` of as many colours) of every
    leaf dataset; a leaf that is not a CocoDataset (e.g. VOCDataset) becomes
    one. Top-level ``data_root`` and ``metainfo`` variables (from a dataset
    base config) are set too, so the written config does not name the old
    ones.

    Returns:
        list[str]: Where datasets were set, e.g. ``'val_dataloader.dataset'``.
    """
    scope = cfg.get('default_scope') or 'mmdet'
    classes = tuple(classes)
    done = []
    for loader, split in _LOADER_SPLITS.items():
        if not cfg.get(loader) or not cfg[loader].get('dataset'):
            continue
        for where, dataset in _coco_leaves(cfg[loader]['dataset'], f'{loader}.dataset'):
            if not _is_coco_type(dataset.get('type'), scope):
                dataset['type'] = 'CocoDataset'
            metainfo = dict(classes=classes,
                            palette=_palette(dataset.get('metainfo'), len(classes)))
            # item by item: ConfigDict.update would merge into the old
            # data_prefix / metainfo dicts instead of replacing them
            for key, value in dict(data_root=data_root, ann_file=ANN_FILES[split],
                                   data_prefix=dict(img=IMG_DIRS[split]),
                                   metainfo=metainfo).items():
                dataset[key] = value
            done.append(where)
    if 'data_root' in cfg:
        cfg['data_root'] = data_root
    if 'metainfo' in cfg:
        cfg['metainfo'] = dict(classes=classes,
                               palette=_palette(cfg['metainfo'], len(classes)))
    return done


def set_evaluators(cfg, data_root: str) -> List[str]:
    """Set the ``ann_file`` of every CocoMetric of ``val_evaluator`` and
    ``test_evaluator`` (a dict or a list of them) to the val annotations, in
    place; returns where."""
    done = []
    for key in _EVALUATORS:
        evaluator = cfg.get(key)
        metrics = evaluator if isinstance(evaluator, (list, tuple)) else [evaluator]
        for index, metric in enumerate(metrics):
            if isinstance(metric, dict) and str(metric.get('type', '')).split(
                    '.')[-1] == 'CocoMetric':
                metric['ann_file'] = osp.join(data_root, ANN_FILES['val'])
                done.append(key if metric is evaluator else f'{key}[{index}]')
    return done


def apply_custom_data(cfg, data_dir: str) -> CustomData:
    """Point a detection config at a COCO folder: classes, ``num_classes``,
    datasets and evaluators (see the module docstring), in place.

    Args:
        cfg (mmengine.Config): The config.
        data_dir (str): The folder.

    Returns:
        CustomData: What was set, and where.

    Raises:
        CLIError: As :func:`read_classes`; or the config is not mmdet's, its
            model has no ``num_classes`` outside its RPN, or it has no train
            dataset.
    """
    name = getattr(cfg, 'filename', None) or 'the config'
    scope = cfg.get('default_scope') or 'mmdet'
    if scope != 'mmdet':  # a segmenter's decode head also has a num_classes
        raise CLIError(f'--data: the folder is COCO detection data, {name} is a '
                       f'{scope} config (default_scope)')
    classes = read_classes(data_dir)
    data_root = osp.abspath(data_dir)

    num_classes_at = set_num_classes(cfg.get('model'), len(classes))
    if not num_classes_at:
        raise CLIError(f'--data: the model of {name} has no num_classes '
                       '(outside its RPN) to set to the folder\'s '
                       f'{len(classes)} classes')
    datasets_at = set_datasets(cfg, data_root, classes)
    if not any(where.startswith('train_dataloader') for where in datasets_at):
        raise CLIError(f'--data: {name} has no train_dataloader.dataset to '
                       'point at the folder')
    return CustomData(data_root, classes, num_classes_at, datasets_at,
                      set_evaluators(cfg, data_root))


def run_doctor(cfg, workers: int = 1,
               splits: Sequence[str] = ('train', 'val')) -> Dict[str, object]:
    """Run the dataset doctor (:func:`.doctor.check_datasets`) on the config's
    datasets: every image decodes at its annotated size, every box lies inside
    it, every category is a class.

    Args:
        cfg (mmengine.Config): The config (after :func:`apply_custom_data`).
        workers (int): Decoding processes. Defaults to 1.
        splits (Sequence[str]): The dataloaders checked. Defaults to train and
            val (those a training run reads).

    Returns:
        dict: The doctor's figures (``num_images``, ``num_decoded``,
        ``num_cached``, ``skipped``).

    Raises:
        DatasetProblems: The doctor found problems (the first
            :data:`MAX_LISTED` in ``problems``).
    """
    problems, info = check_datasets(cfg, splits, workers)
    if problems:
        more = (f', the first {MAX_LISTED} listed' if len(problems) > MAX_LISTED
                else ' listed above')
        raise DatasetProblems(
            f'the dataset doctor found {len(problems)} problems in the data{more} '
            '(each: file: field: what is wrong); fix them and run again',
            problems[:MAX_LISTED])
    return info


def describe_custom_data(data: CustomData) -> List[str]:
    """What :func:`apply_custom_data` set, as printed lines."""
    return [
        f'--data {data.data_root}: {len(data.classes)} classes {data.classes} '
        f"(from {ANN_FILES['train']})",
        f"  num_classes={len(data.classes)}: {', '.join(data.num_classes_at)}",
        f"  datasets: {', '.join(data.datasets_at)}",
        f"  CocoMetric ann_file: {', '.join(data.evaluators_at) or 'none'}",
    ]
