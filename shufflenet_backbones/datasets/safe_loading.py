"""Loading transforms that survive bad files.

:class:`SafeLoadImageFromFile` replaces mmcv's ``LoadImageFromFile`` (used by mmdet,
mmseg and mmpretrain alike) and :class:`SafeLoadSegAnnotations` mmseg's
``LoadAnnotations``. A file that does not decode, is truncated, or (detection)
decodes to another size than its annotation says is reported once, naming the file
(:func:`~.bad_sample_log.report_bad_sample`), and then:

- ``on_bad='skip'`` (training): the transform returns None and mmengine's
  ``BaseDataset`` loads another sample instead (its refetch);
- ``on_bad='placeholder'`` (validation, test): mmengine does not refetch in test
  mode (it raises), and a substitute would be evaluated twice. The sample is kept
  as a blank image marked ``bad_sample=True``, of the annotated size so that its
  ground truth still fits: a detector finds nothing on it and its objects count as
  missed, a label map loaded for it is all ``ignore_index`` (no pixel counted).
  The score is never computed on fewer images than the annotations list; the
  :class:`~shufflenet_backbones.engine.BadSampleHook` reports how many were blank.

Size mismatch policy (detection): skip, never rescale the boxes. A decoded size
that differs from the annotated one is most often a phone photo whose EXIF
orientation the decoder applied (mmcv's ``color_type='color'`` does; the
annotation tool may not have): the sides are swapped and a rescale would stretch
the boxes across the wrong axes, training silently on wrong boxes.

Configs keep mmcv's plain ``LoadImageFromFile`` in their pipelines and say
``runner_type='SafeLoadingRunner'``: the runner puts the safe loader in with
:func:`with_safe_loading` when it builds the datasets. The inference APIs of mmdet
and mmseg find the loading step by the name ``LoadImageFromFile`` and swap it for
their in-memory loaders, keeping its arguments; a ``SafeLoadImageFromFile`` step
(or its ``on_bad`` argument) in the config breaks them.
"""
import copy
from typing import Optional, Sequence, Tuple

import mmcv
import numpy as np
from mmcv.transforms import LoadImageFromFile
from mmengine import fileio
from mmseg.datasets.transforms import LoadAnnotations

from .bad_sample_log import SkippedSample, check_image_bytes, report_bad_sample

__all__ = [
    'SafeLoadImageFromFile', 'SafeLoadSegAnnotations', 'loads_safely',
    'with_safe_loading'
]

_ON_BAD = ('skip', 'placeholder')


def _register_transform(cls: type,
                        scopes: Sequence[str] = ('mmdet', 'mmseg', 'mmpretrain')):
    """Register ``cls`` under its bare name in the TRANSFORMS of each installed
    library of ``scopes`` (the style of ``shufflenet_backbones.registry``)."""
    import importlib
    for scope in scopes:
        try:
            registry = importlib.import_module(f'{scope}.registry').TRANSFORMS
        except ImportError:  # that library is not installed: nothing to register
            continue
        registry.register_module(module=cls)
    return cls


def _decode(data: bytes, flag: str, backend: Optional[str]) -> np.ndarray:
    """Decode ``data`` or raise :class:`SkippedSample` with the reason."""
    reason = check_image_bytes(data)
    if reason is not None:
        raise SkippedSample(reason)
    try:
        img = mmcv.imfrombytes(data, flag=flag, backend=backend)
    except Exception as e:  # noqa: BLE001  (each decoder raises its own)
        raise SkippedSample(f'does not decode ({type(e).__name__}: {e})') from e
    if img is None or img.size == 0:
        raise SkippedSample('does not decode')
    return img


class _BadInARow:
    """Turns an endless run of bad samples into one clear error.

    mmengine refetches up to ``max_refetch`` (1000) times and then raises 'Cannot
    find valid image after 1000!' without a file name; at 5 % bad samples, 20 bad
    draws in a row have a chance of 1e-26, so they mean the data is unreadable.
    """

    def __init__(self, limit: int):
        if limit < 1:
            raise ValueError(f'max_bad_in_row must be >= 1, got {limit}')
        self.limit = limit
        self.count = 0

    def ok(self) -> None:
        self.count = 0

    def bad(self, path: str, reason: str) -> None:
        self.count += 1
        if self.count >= self.limit:
            raise RuntimeError(
                f'{self.count} samples in a row could not be loaded, the last '
                f'{path}: {reason}. Check data_root, data_prefix and the files.')


def _on_bad_arg(on_bad: str) -> str:
    if on_bad not in _ON_BAD:
        raise ValueError(f'on_bad must be one of {_ON_BAD}, got {on_bad!r}')
    return on_bad


class SafeLoadImageFromFile(LoadImageFromFile):
    """``LoadImageFromFile`` that reports and skips an image it cannot use.

    Bad: the file is missing, empty, truncated or does not decode, or
    (``check_size``) its decoded size differs from the ``height`` / ``width`` of its
    annotation (mmdet's COCO datasets set them). See the module's doc for what
    ``on_bad`` does then and why sizes are not reconciled by rescaling.

    Args:
        on_bad (str): 'skip' (return None: the dataset loads another sample;
            training) or 'placeholder' (a blank image of the annotated size marked
            ``bad_sample=True``; validation and test). Defaults to 'skip'.
        check_size (bool): Compare the decoded size with the annotated one.
            Defaults to True.
        max_bad_in_row (int): Raise a ``RuntimeError`` naming the file when this
            many samples in a row are bad. Defaults to 20.
        **kwargs: ``LoadImageFromFile``'s arguments (``color_type``,
            ``imdecode_backend``, ``backend_args``...).

    Example:
        >>> train_pipeline = [dict(type='SafeLoadImageFromFile'), ...]
        >>> test_pipeline = [
        ...     dict(type='SafeLoadImageFromFile', on_bad='placeholder'), ...]
    """

    def __init__(self,
                 on_bad: str = 'skip',
                 check_size: bool = True,
                 max_bad_in_row: int = 20,
                 **kwargs):
        if kwargs.get('ignore_empty'):
            raise ValueError('SafeLoadImageFromFile: ignore_empty would skip a '
                             'missing file without reporting it; leave it unset')
        super().__init__(**kwargs)
        self.on_bad = _on_bad_arg(on_bad)
        self.check_size = check_size
        self._in_row = _BadInARow(max_bad_in_row)

    def _annotated_size(self, results: dict) -> Optional[Tuple[int, int]]:
        if 'height' in results and 'width' in results:
            return int(results['height']), int(results['width'])
        return None

    def _load(self, results: dict) -> np.ndarray:
        path = results['img_path']
        try:
            data = fileio.get(path, backend_args=self.backend_args)
        except Exception as e:  # noqa: BLE001  (any backend's missing file)
            raise SkippedSample(f'cannot be read ({type(e).__name__}: {e})') from e
        img = _decode(data, self.color_type, self.imdecode_backend)
        annotated = self._annotated_size(results)
        if self.check_size and annotated and img.shape[:2] != annotated:
            hint = (' (sides swapped: EXIF orientation applied by the decoder? '
                    "color_type='color_ignore_orientation' reads the stored "
                    'pixels)' if img.shape[:2] == annotated[::-1] else '')
            raise SkippedSample(
                f'decoded size {img.shape[0]}x{img.shape[1]} (HxW) differs from '
                f'the annotated {annotated[0]}x{annotated[1]}{hint}')
        return img

    def transform(self, results: dict) -> Optional[dict]:
        """Load ``results['img_path']``; None or a placeholder if it is bad."""
        path = results['img_path']
        try:
            img = self._load(results)
        except SkippedSample as e:
            action = 'skipped' if self.on_bad == 'skip' else 'replaced by a blank'
            report_bad_sample(path, str(e), action)
            self._in_row.bad(path, str(e))
            if self.on_bad == 'skip':
                return None
            img = self._placeholder(results)
            results['bad_sample'] = True
        else:
            self._in_row.ok()
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def _placeholder(self, results: dict) -> np.ndarray:
        size = self._annotated_size(results) or _label_map_size(
            results, self.backend_args) or (32, 32)
        gray = self.color_type.startswith(('grayscale', 'unchanged'))
        return np.zeros(size if gray else (*size, 3), dtype=np.uint8)

    def __repr__(self) -> str:
        return (f'{super().__repr__()[:-1]}, on_bad={self.on_bad!r}, '
                f'check_size={self.check_size}, '
                f'max_bad_in_row={self._in_row.limit})')


def _label_map_size(results: dict, backend_args) -> Optional[Tuple[int, int]]:
    """The size of the sample's label map, if it has a readable one (mmseg)."""
    path = results.get('seg_map_path')
    if not path:
        return None
    try:
        seg = _decode(fileio.get(path, backend_args=backend_args), 'unchanged',
                      None)
    except Exception:  # noqa: BLE001  (reported when the label map is loaded)
        return None
    return seg.shape[:2]


class SafeLoadSegAnnotations(LoadAnnotations):
    """mmseg's ``LoadAnnotations`` that reports and skips a label map it cannot
    use: missing, truncated, not decoding, or of another size than the image.

    After a :class:`SafeLoadImageFromFile` placeholder, or with
    ``on_bad='placeholder'``, the label map is all ``ignore_index``, so the
    sample adds no pixel to the loss or the metric.

    Args:
        on_bad (str): 'skip' (training) or 'placeholder' (validation and
            test), as for :class:`SafeLoadImageFromFile`. Defaults to 'skip'.
        ignore_index (int): The label of a placeholder map. Defaults to 255.
        max_bad_in_row (int): Raise naming the file when this many samples in
            a row are bad. Defaults to 20.
        **kwargs: mmseg ``LoadAnnotations``'s arguments.

    Example:
        >>> test_pipeline = [
        ...     dict(type='SafeLoadImageFromFile', on_bad='placeholder'),
        ...     dict(type='SafeLoadSegAnnotations', on_bad='placeholder'),
        ...     dict(type='PackSegInputs')]
    """

    def __init__(self,
                 on_bad: str = 'skip',
                 ignore_index: int = 255,
                 max_bad_in_row: int = 20,
                 **kwargs):
        super().__init__(**kwargs)
        self.on_bad = _on_bad_arg(on_bad)
        self.ignore_index = ignore_index
        self._in_row = _BadInARow(max_bad_in_row)

    def _load_seg_map(self, results: dict) -> None:
        path = results['seg_map_path']
        try:
            data = fileio.get(path, backend_args=self.backend_args)
        except Exception as e:  # noqa: BLE001  (any backend's missing file)
            raise SkippedSample(
                f'cannot be read ({type(e).__name__}: {e})') from e
        _decode(data, 'unchanged', self.imdecode_backend)
        super()._load_seg_map(results)  # reads again: small files, same code
        shape = results.get('ori_shape', results.get('img_shape'))
        if shape is not None and results['gt_seg_map'].shape[:2] != shape:
            seg = results['gt_seg_map'].shape
            raise SkippedSample(
                f'label map size {seg[0]}x{seg[1]} differs from the image\'s '
                f'{shape[0]}x{shape[1]}')

    def _blank(self, results: dict) -> dict:
        shape = results.get('ori_shape', results['img'].shape[:2])
        results['gt_seg_map'] = np.full(shape, self.ignore_index, np.uint8)
        results.setdefault('seg_fields', []).append('gt_seg_map')
        return results

    def transform(self, results: dict) -> Optional[dict]:
        """Load the label map; None or an all-ignore map if it is bad."""
        if results.get('bad_sample'):  # the image was replaced by a blank
            return self._blank(results)
        path = results.get('seg_map_path')
        try:
            results = super().transform(results)
        except SkippedSample as e:
            action = ('skipped'
                      if self.on_bad == 'skip' else 'replaced by ignore')
            report_bad_sample(path, str(e), action)
            self._in_row.bad(path, str(e))
            if self.on_bad == 'skip':
                return None
            results['bad_sample'] = True
            return self._blank(results)
        self._in_row.ok()
        return results

    def __repr__(self) -> str:
        return (f'{super().__repr__()[:-1]}, on_bad={self.on_bad!r}, '
                f'ignore_index={self.ignore_index})')


def _is_plain_loader(step) -> bool:
    """Whether a pipeline step is mmcv's ``LoadImageFromFile``: by name, under any
    scope prefix (``mmdet.LoadImageFromFile`` names the same class), or as the
    class itself (new-style configs)."""
    if not isinstance(step, dict):
        return False
    kind = step.get('type')
    if isinstance(kind, str):
        return kind.split('.')[-1] == 'LoadImageFromFile'
    return kind is LoadImageFromFile


def loads_safely(dataset) -> bool:
    """Whether a built dataset (or a wrapper's inner datasets) loads its images
    with :class:`SafeLoadImageFromFile`."""
    inner = [getattr(dataset, 'dataset', None),
             *(getattr(dataset, 'datasets', None) or [])]
    inner = [d for d in inner if d is not None]
    if inner:
        return all(loads_safely(d) for d in inner)
    transforms = getattr(getattr(dataset, 'pipeline', None), 'transforms', [])
    return any(isinstance(t, SafeLoadImageFromFile) for t in transforms)


def with_safe_loading(dataloader_cfg: dict, on_bad: str, **options) -> dict:
    """A copy of ``dataloader_cfg`` whose datasets load images with
    :class:`SafeLoadImageFromFile` where they name ``LoadImageFromFile``.

    The step keeps its own arguments (``color_type``, ``backend_args``...) and gets
    ``on_bad`` and ``options``. Dataset wrappers are followed (``dataset`` of
    ``RepeatDataset`` / ``ClassBalancedDataset`` / ``MultiImageMixDataset``,
    ``datasets`` of ``ConcatDataset``); a pipeline that already loads safely is
    left as it is.

    Args:
        dataloader_cfg (dict): A dataloader config (``train_dataloader`` ...).
        on_bad (str): 'skip' (training) or 'placeholder' (validation, test).
        **options: :class:`SafeLoadImageFromFile`'s ``check_size`` and
            ``max_bad_in_row``.

    Example:
        >>> loader = dict(dataset=dict(type='CocoDataset', pipeline=[
        ...     dict(type='LoadImageFromFile'), dict(type='PackDetInputs')]))
        >>> with_safe_loading(loader, 'placeholder')['dataset']['pipeline'][0]
        {'type': 'SafeLoadImageFromFile', 'on_bad': 'placeholder'}
    """
    _on_bad_arg(on_bad)
    unknown = set(options) - {'check_size', 'max_bad_in_row'}
    if unknown:
        raise ValueError(f'safe_loading: unknown option(s) {sorted(unknown)}; '
                         "known: 'check_size', 'max_bad_in_row'")
    dataloader_cfg = copy.deepcopy(dataloader_cfg)

    def rewrite(dataset_cfg) -> None:
        if not isinstance(dataset_cfg, dict):
            return  # a built dataset: nothing to rewrite
        for step in dataset_cfg.get('pipeline') or []:
            if _is_plain_loader(step):
                step.update(type='SafeLoadImageFromFile', on_bad=on_bad, **options)
        rewrite(dataset_cfg.get('dataset'))
        for inner in dataset_cfg.get('datasets') or []:
            rewrite(inner)

    rewrite(dataloader_cfg.get('dataset'))
    return dataloader_cfg


_register_transform(SafeLoadImageFromFile)
_register_transform(SafeLoadSegAnnotations, scopes=('mmseg', ))
