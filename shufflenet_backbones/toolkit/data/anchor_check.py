"""Do a detector's anchors fit the boxes of its training data?

An RPN (or an anchor-based single-stage head) learns an object only through the
anchors its assigner makes positive: those with IoU >= ``pos_iou_thr`` with the
box, and, with ``match_low_quality``, the box's best anchor if its IoU is at
least ``min_pos_iou``. Anchors of 32-512 px on a dataset of 10 px objects leave
most boxes with no positive anchor at all, and training then "works" (the loss
goes down) while the RPN never proposes them. This module measures that before
training:

- the boxes: every ground-truth box of the training annotation file (COCO
  json; crowd boxes and those mmdet skips left out) at the scale the train
  pipeline's first resize step gives its image (mmcv's rules: ``keep_ratio``
  fits the image inside the scale's long and short edges; without it, the
  image is stretched to the scale); a random resize is measured at each end of
  its range (``RandomResize``) or at each of its scales
  (``RandomChoiceResize``), every box once per scale;
- the anchors: the base anchors (one (w, h) shape per scale and ratio, and per
  level) that the head's ``anchor_generator`` builds, through mmdet's
  ``TASK_UTILS`` registry, so any generator type is measured as it is built;
- each box's best *shape IoU*: the IoU of its (w, h) and an anchor's (w, h)
  with both centred on the same point. Anchors sit on a grid of the stride, so
  the IoU training sees is at most this: the figures are an optimistic bound.

:func:`fit_anchors` fits ``AnchorGenerator``'s scales and ratios to the boxes
(k-means on log sizes and on log aspect ratios, as many of each as the
generator has, so the head's number of anchors per location, and so its conv
layers, stay as they are).

Example:
    >>> from mmengine import Config
    >>> cfg = Config.fromfile('configs/det/lighthead_shufflenetv2_shapes_demo.py')
    >>> result = check_anchors(cfg)
    >>> print('\\n'.join(describe_check(result)))
"""
import copy
from typing import List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from ..errors import CLIError
from .checks import _join_root, _leaf_datasets, _load_annotations

__all__ = [
    'UNMATCHED_WARN_SHARE', 'NO_POSITIVE_WARN_SHARE', 'AnchorCheck', 'AnchorFit',
    'train_resize_scales', 'box_sizes', 'anchor_generator_of', 'anchor_shapes',
    'assigner_thresholds', 'shape_iou', 'check_anchors', 'check_warning',
    'describe_check', 'fit_anchors', 'apply_fit', 'describe_fit'
]

# The warning's thresholds. With octave-spaced anchors (scales 2, 4, 8, ...) the
# best shape IoU of a square box is (size / nearest anchor)^2, below 0.7 when the
# box is more than 2^0.26 off the nearest anchor: for log-uniform sizes that is
# about half the boxes (49 %; more when aspect ratios fall between the anchors';
# the well-matched quickstart data: 40 %), and the assigner's low-quality matching
# still gives each of them its best anchor. So the share below pos_iou_thr warns
# only when it is clearly above that norm (more than 60 %); a box below
# min_pos_iou gets no positive anchor at all, so that share warns from 10 %.
UNMATCHED_WARN_SHARE = 0.6
NO_POSITIVE_WARN_SHARE = 0.1
# Where the assigner has no thresholds (e.g. ATSS): the RPN's usual ones.
DEFAULT_POS_IOU_THR = 0.7
DEFAULT_MIN_POS_IOU = 0.3
PERCENTILES = (0, 10, 25, 50, 75, 90, 100)
_RESIZE_TYPES = ('Resize', 'RandomResize', 'RandomChoiceResize')
# Where an anchor-based detector's config keeps its anchor generator and the
# train_cfg of that head's assigner (two-stage: RPN; one-stage: the bbox head).
_ANCHOR_HEADS = (('rpn_head', 'rpn'), ('bbox_head', ''))
_KMEANS_ITERS = 100
# Starts of the k-means over several levels, and the most boxes it fits on (a
# sample drawn with a fixed seed; the check measures all of them).
_NUM_STARTS = 16
_IOU_CHUNK = 100000
_MAX_FIT_BOXES = 20000


class AnchorCheck(NamedTuple):
    """What :func:`check_anchors` measured.

    ``sizes`` (N, 2) are the boxes' (w, h) at the train scale, ``anchors``
    (A, 2) the base anchors' (w, h), ``best_iou`` (N,) each box's best shape
    IoU, ``where`` the anchor generator's place in the config, ``ann_files``
    the annotation files read and ``scales`` what the train pipeline's resize
    step is (text)."""
    sizes: np.ndarray
    anchors: np.ndarray
    best_iou: np.ndarray
    pos_iou_thr: float
    min_pos_iou: float
    where: str
    ann_files: Tuple[str, ...]
    scales: str

    @property
    def num_boxes(self) -> int:
        return len(self.sizes)

    @property
    def share_below_pos(self) -> float:
        """Share of boxes whose best shape IoU is below ``pos_iou_thr``."""
        return float(np.mean(self.best_iou < self.pos_iou_thr)) if len(
            self.best_iou) else 0.

    @property
    def share_below_min_pos(self) -> float:
        """Share of boxes that not even low-quality matching makes positive."""
        return float(np.mean(self.best_iou < self.min_pos_iou)) if len(
            self.best_iou) else 0.

    @property
    def median_size(self) -> float:
        return float(np.median(np.sqrt(self.sizes.prod(1)))) if len(
            self.sizes) else 0.

    @property
    def smallest_anchor(self) -> float:
        return float(np.sqrt(self.anchors.prod(1)).min())


class AnchorFit(NamedTuple):
    """What :func:`fit_anchors` found: the fitted ``scales`` and ``ratios``,
    the check with the config's anchors (``before``) and with the fitted ones
    (``after``), and whether the fitted ones are better (``improved``)."""
    scales: List[float]
    ratios: List[float]
    before: AnchorCheck
    after: AnchorCheck
    improved: bool


# ---------------------------------------------------------------------------------
# boxes at the train pipeline's scale


def _as_pair(scale) -> Tuple[float, float]:
    if isinstance(scale, (int, float)):
        return float(scale), float(scale)
    return float(scale[0]), float(scale[1])


def train_resize_scales(pipeline: Sequence[dict]) -> Tuple[List[dict], str]:
    """The scales the first resize step of a train pipeline resizes to.

    Args:
        pipeline (Sequence[dict]): Transform configs.

    Returns:
        tuple[list[dict], str]: One dict per scale measured (``scale`` (w, h)
        or ``scale_factor``, and ``keep_ratio``), empty when the pipeline
        resizes nothing (boxes are then taken at their annotated size); and
        the step described in words.

    Example:
        >>> train_resize_scales([dict(type='Resize', scale=(1333, 800),
        ...                           keep_ratio=True)])[0]
        [{'scale': (1333.0, 800.0), 'keep_ratio': True}]
    """
    for step in pipeline:
        kind = str(step.get('type', '')).split('.')[-1]
        if kind not in _RESIZE_TYPES:
            continue
        keep = bool(step.get('keep_ratio', False))
        text = (f"{kind} {step.get('scale', step.get('scales'))}, "
                f'keep_ratio={keep}')
        if kind == 'Resize':
            if step.get('scale') is None:
                return [dict(scale_factor=_as_pair(step['scale_factor']),
                             keep_ratio=keep)], \
                    f"Resize scale_factor={step['scale_factor']}, keep_ratio={keep}"
            return [dict(scale=_as_pair(step['scale']), keep_ratio=keep)], text
        if kind == 'RandomChoiceResize':
            return [dict(scale=_as_pair(s), keep_ratio=keep)
                    for s in step['scales']], text + ' (each scale)'
        scale = step['scale']
        if step.get('ratio_range') is not None:
            low, high = step['ratio_range']
            base = _as_pair(scale)
            ends = [(int(base[0] * r), int(base[1] * r)) for r in (low, high)]
            text += f", ratio_range={tuple(step['ratio_range'])}"
        else:
            ends = [scale[0], scale[1]]
        return [dict(scale=_as_pair(s), keep_ratio=keep) for s in ends], \
            text + ' (both ends of the range)'
    return [], 'no resize step (boxes at their annotated size)'


def _resize_factors(width: float, height: float, resize: dict) -> Tuple[float, float]:
    """(w, h) factors mmcv's Resize applies to an image of this size."""
    if 'scale_factor' in resize:
        fw, fh = resize['scale_factor']
        scale = (int(width * fw + 0.5), int(height * fh + 0.5))
    else:
        scale = resize['scale']
    if resize['keep_ratio']:  # mmcv.rescale_size: fit both edges
        factor = min(max(scale) / max(width, height), min(scale) / min(width, height))
        new_w, new_h = int(width * factor + 0.5), int(height * factor + 0.5)
    else:
        new_w, new_h = scale
    return new_w / width, new_h / height


def box_sizes(coco: dict, resizes: Sequence[dict],
              classes: Optional[Sequence[str]] = None) -> np.ndarray:
    """Box (w, h) of a COCO annotation dict at the pipeline's scale(s).

    Args:
        coco (dict): A loaded COCO annotation file.
        resizes (Sequence[dict]): From :func:`train_resize_scales`; every box
            is given once per entry (at its annotated size when empty).
        classes (Sequence[str], optional): Only boxes of categories of these
            names (as mmdet's CocoDataset selects them). Defaults to all.

    Returns:
        np.ndarray: (N, 2) float64 widths and heights. Crowd boxes and those
        mmdet's CocoDataset skips (under 1 px wide or high) are left out.
    """
    images = {img['id']: (float(img['width']), float(img['height']))
              for img in coco['images']}
    names = None if classes is None else set(classes)
    cat_ids = None if names is None else {
        cat['id'] for cat in coco['categories'] if cat.get('name') in names}
    sizes = []
    for ann in coco['annotations']:
        if ann.get('iscrowd') or ann.get('image_id') not in images or (
                cat_ids is not None and ann.get('category_id') not in cat_ids):
            continue
        w, h = float(ann['bbox'][2]), float(ann['bbox'][3])
        if w < 1 or h < 1:
            continue
        width, height = images[ann['image_id']]
        for resize in resizes or [None]:
            fw, fh = (1., 1.) if resize is None else _resize_factors(
                width, height, resize)
            sizes.append((w * fw, h * fh))
    return np.asarray(sizes, dtype=np.float64).reshape(-1, 2)


# ---------------------------------------------------------------------------------
# anchors and the assigner


def anchor_generator_of(cfg) -> Tuple[str, dict, str]:
    """The anchor generator config of a detector config's anchor head.

    Returns:
        tuple[str, dict, str]: Where it is (e.g.
        ``'model.rpn_head.anchor_generator'``), the config dict itself (edits
        change ``cfg``), and the head's key in ``model.train_cfg`` (``'rpn'``,
        or ``''`` for a one-stage head, whose train_cfg is the model's).

    Raises:
        CLIError: The model has no anchor generator (an anchor-free model).
    """
    model = cfg.get('model') or {}
    for head, train_key in _ANCHOR_HEADS:
        generator = (model.get(head) or {}).get('anchor_generator') if isinstance(
            model.get(head), dict) else None
        if generator:
            return f'model.{head}.anchor_generator', generator, train_key
    raise CLIError('the model has no anchor generator in model.rpn_head or '
                   'model.bbox_head (an anchor-free model has no anchors to check)')


def _build_generator(generator_cfg: dict):
    from mmdet.registry import TASK_UTILS
    from mmdet.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    return TASK_UTILS.build(copy.deepcopy(dict(generator_cfg)))


def anchor_shapes(generator_cfg: dict) -> np.ndarray:
    """(w, h) of the base anchors (every scale, ratio and level) the config
    builds.

    Example:
        >>> anchor_shapes(dict(type='AnchorGenerator', strides=[16],
        ...                    scales=[2], ratios=[1.0]))
        array([[32., 32.]])
    """
    generator = _build_generator(generator_cfg)
    shapes = [(b[:, 2:] - b[:, :2]).numpy() for b in generator.base_anchors]
    return np.concatenate(shapes).astype(np.float64)


def assigner_thresholds(cfg, train_key: str) -> Tuple[float, float]:
    """``pos_iou_thr`` and ``min_pos_iou`` of the anchor head's assigner
    (``model.train_cfg.rpn.assigner`` for an RPN, ``model.train_cfg.assigner``
    for a one-stage head); the RPN's usual 0.7 / 0.3 where it has none.
    Without ``match_low_quality`` a box's best anchor is not made positive
    below ``pos_iou_thr``: ``min_pos_iou`` is then ``pos_iou_thr``."""
    train_cfg = (cfg.get('model') or {}).get('train_cfg') or {}
    if train_key:
        train_cfg = train_cfg.get(train_key) or {}
    assigner = train_cfg.get('assigner') or {}
    pos = assigner.get('pos_iou_thr', DEFAULT_POS_IOU_THR)
    min_pos = assigner.get('min_pos_iou', DEFAULT_MIN_POS_IOU)
    if not assigner.get('match_low_quality', True):
        min_pos = pos
    return float(pos), float(min(min_pos, pos))


def shape_iou(boxes: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """IoU of (w, h) shapes centred on the same point.

    Args:
        boxes (np.ndarray): (N, 2) widths and heights.
        anchors (np.ndarray): (A, 2) widths and heights.

    Returns:
        np.ndarray: (N, A) IoUs.

    Example:
        >>> shape_iou(np.array([[10., 10.]]), np.array([[10., 20.], [5., 5.]]))
        array([[0.5 , 0.25]])
    """
    inter = (np.minimum(boxes[:, None, 0], anchors[None, :, 0]) *
             np.minimum(boxes[:, None, 1], anchors[None, :, 1]))
    union = boxes.prod(1)[:, None] + anchors.prod(1)[None, :] - inter
    return inter / union


# ---------------------------------------------------------------------------------
# the check


def _train_datasets(cfg) -> List[Tuple[str, dict, list]]:
    """``(where, dataset, pipeline)`` of every leaf dataset of the train loader;
    a wrapper's pipeline (e.g. MultiImageMixDataset's) when the leaf has none."""
    loader = cfg.get('train_dataloader') or {}
    if 'dataset' not in loader:
        raise CLIError('the config has no train_dataloader.dataset to read boxes '
                       'from')
    found = []
    for where, dataset in _leaf_datasets(loader['dataset'], 'train_dataloader.dataset'):
        pipeline = dataset.get('pipeline') or loader['dataset'].get('pipeline') or []
        found.append((where, dataset, list(pipeline)))
    return found


def _load_coco(where: str, dataset: dict) -> Tuple[str, dict]:
    ann_file = dataset.get('ann_file') or ''
    if not str(ann_file).endswith('.json'):
        raise CLIError(f'{where}.ann_file: the anchor check reads COCO json '
                       f"annotation files, got {ann_file!r} ({dataset.get('type')})")
    path = _join_root(dataset.get('data_root'), ann_file)
    try:
        return path, _load_annotations(path)
    except (FileNotFoundError, ValueError) as err:
        raise CLIError(str(err)) from err


def _measure(sizes: np.ndarray, generator_cfg: dict, pos: float, min_pos: float,
             where: str, ann_files: Tuple[str, ...], scales: str) -> AnchorCheck:
    anchors = anchor_shapes(generator_cfg)
    # in chunks: COCO at three train scales is millions of boxes x 25 anchors
    best = np.concatenate([np.zeros(0)] + [
        shape_iou(sizes[i:i + _IOU_CHUNK], anchors).max(1)
        for i in range(0, len(sizes), _IOU_CHUNK)])
    return AnchorCheck(sizes, anchors, best, pos, min_pos, where, ann_files, scales)


def check_anchors(cfg) -> AnchorCheck:
    """Measure how well the anchors of a detector config fit its train boxes.

    Args:
        cfg (mmengine.Config | dict): A detector config with an anchor head
            and a COCO-format train dataset (through wrappers: every leaf).

    Returns:
        AnchorCheck: The boxes, anchors and figures; see
        :func:`describe_check` and :func:`check_warning`.

    Raises:
        CLIError: No anchor generator, no train dataset, a non-COCO or
            unreadable annotation file, or a dataset without boxes.
    """
    where, generator_cfg, train_key = anchor_generator_of(cfg)
    pos, min_pos = assigner_thresholds(cfg, train_key)
    chunks, ann_files, scale_texts = [], [], []
    for leaf, dataset, pipeline in _train_datasets(cfg):
        path, coco = _load_coco(leaf, dataset)
        resizes, text = train_resize_scales(pipeline)
        classes = (dataset.get('metainfo') or {}).get('classes')
        chunks.append(box_sizes(coco, resizes, classes))
        ann_files.append(path)
        scale_texts.append(text)
    sizes = np.concatenate(chunks)
    if not len(sizes):
        raise CLIError(f'{", ".join(ann_files)}: annotations: no boxes to check the '
                       'anchors against')
    return _measure(sizes, generator_cfg, pos, min_pos, where, tuple(ann_files),
                    '; '.join(dict.fromkeys(scale_texts)))


def check_warning(check: AnchorCheck, fitted: bool = False) -> Optional[str]:
    """One warning line when the anchors fit the boxes badly, else ``None``:
    more than :data:`UNMATCHED_WARN_SHARE` of the boxes below ``pos_iou_thr``,
    more than :data:`NO_POSITIVE_WARN_SHARE` below ``min_pos_iou``, or a median
    box smaller than the smallest anchor. ``fitted``: the anchors are already
    fitted (the line does not suggest ``--auto-anchors``)."""
    reasons = []
    if check.share_below_pos > UNMATCHED_WARN_SHARE:
        reasons.append(f'{check.share_below_pos:.0%} of the boxes match no anchor '
                       f'at IoU {check.pos_iou_thr:g}')
    if check.share_below_min_pos > NO_POSITIVE_WARN_SHARE:
        reasons.append(f'{check.share_below_min_pos:.0%} get no positive anchor '
                       f'(IoU < min_pos_iou {check.min_pos_iou:g})')
    if check.median_size < check.smallest_anchor:
        reasons.append(f'the median box ({check.median_size:.0f} px) is smaller '
                       f'than the smallest anchor ({check.smallest_anchor:.0f} px)')
    if not reasons:
        return None
    fix = ("set the anchor generator's strides / base sizes or the train Resize "
           'scale' if fitted else "fit them with --auto-anchors, or set the anchor "
           "generator's scales / ratios (or the train Resize scale)")
    return (f"warning: the anchors ({check.where}) fit the data badly: "
            f"{'; '.join(reasons)} -- {fix}")


def _numbers(values) -> str:
    return ', '.join(f'{v:.3g}' for v in values)


def describe_check(check: AnchorCheck) -> List[str]:
    """The check's figures as printed lines."""
    roots = np.sqrt(check.sizes.prod(1))
    pcts = np.percentile(roots, PERCENTILES)
    ratios = check.sizes[:, 1] / check.sizes[:, 0]
    anchor_roots = np.sqrt(check.anchors.prod(1))
    anchor_ratios = check.anchors[:, 1] / check.anchors[:, 0]
    names = ', '.join('min' if p == 0 else 'max' if p == 100 else
                      'median' if p == 50 else f'p{p}' for p in PERCENTILES)
    return [
        f'anchor check: {check.num_boxes} boxes of {", ".join(check.ann_files)} '
        f'at the train scale ({check.scales})',
        f'  box size sqrt(w*h) px ({names}): {_numbers(pcts)}',
        f'  box aspect h/w (p10, median, p90): '
        f'{_numbers(np.percentile(ratios, (10, 50, 90)))}',
        f'  anchors ({check.where}): {len(check.anchors)} shapes, sizes '
        f'{_numbers(sorted(set(np.round(anchor_roots, 2))))} px, ratios h/w '
        f'{_numbers(sorted(set(np.round(anchor_ratios, 3))))}',
        f'  best shape IoU with an anchor: median {np.median(check.best_iou):.2f}; '
        f'below pos_iou_thr {check.pos_iou_thr:g}: {check.share_below_pos:.1%} of '
        f'the boxes, below min_pos_iou {check.min_pos_iou:g}: '
        f'{check.share_below_min_pos:.1%}',
        f'  median box {check.median_size:.1f} px '
        f"{'<' if check.median_size < check.smallest_anchor else '>='} smallest "
        f'anchor {check.smallest_anchor:.1f} px',
    ]


# ---------------------------------------------------------------------------------
# fitting


def _start(values: np.ndarray, k: int) -> np.ndarray:
    """k-means' start: quantiles of the distinct values (deterministic, no seed
    needed). Distinct, so that many equal values (square boxes: ratio 1) do
    not start two centres on the same point, one of which would stay empty."""
    return np.quantile(np.unique(values), (np.arange(k) + 0.5) / k)


def _kmeans_1d(values: np.ndarray, k: int) -> np.ndarray:
    """Lloyd's k-means in 1-D from :func:`_start`; the centres sorted."""
    centres = _start(values, k)
    for _ in range(_KMEANS_ITERS):
        labels = np.abs(values[:, None] - centres[None]).argmin(1)
        new = np.array([values[labels == j].mean() if np.any(labels == j)
                        else centres[j] for j in range(k)])
        if np.allclose(new, centres):
            break
        centres = new
    return np.sort(centres)


def _lattice_kmeans(log_sizes: np.ndarray, log_bases: np.ndarray,
                    centres: np.ndarray) -> Tuple[np.ndarray, float]:
    """Lloyd's k-means of log box sizes on the lattice ``log base_l + c_j``
    (levels l fixed, centres c_j fitted) from ``centres``: each box goes to its
    nearest lattice point, each c_j becomes the mean of its boxes'
    ``log size - log base_l``. Returns the centres and the squared error."""
    k = len(centres)
    for _ in range(_KMEANS_ITERS):
        lattice = (log_bases[:, None] + centres[None]).reshape(1, -1)  # (1, L*k)
        flat = np.abs(log_sizes[:, None] - lattice).argmin(1)
        level, label = np.divmod(flat, k)
        new = np.array([
            (log_sizes[label == j] - log_bases[level[label == j]]).mean()
            if np.any(label == j) else centres[j] for j in range(k)])
        if np.allclose(new, centres):
            break
        centres = new
    lattice = (log_bases[:, None] + centres[None]).reshape(1, -1)
    error = float((np.abs(log_sizes[:, None] - lattice).min(1)**2).sum())
    return np.sort(centres), error


def _fit_log_scales(log_sizes: np.ndarray, log_bases: np.ndarray,
                    k: int) -> np.ndarray:
    """k log scales for boxes of these log sizes on levels of these log base
    sizes: :func:`_lattice_kmeans`, the best of several starts.

    With one level this is plain k-means. With several (FPN), the lattice
    repeats from level to level, so Lloyd's method stops wherever its start
    puts the boxes' levels (scale 4 on boxes of 2x each level's base stops at
    3.2, not 2): each start assigns every box the level nearest to a trial
    scale (:data:`_NUM_STARTS` of them, quantiles of all size / base ratios)
    and starts from :func:`_start` of the boxes' sizes relative to their
    level; the start with the smallest squared error wins."""
    pairs = (log_sizes[:, None] - log_bases[None]).ravel()
    trials = [0.] if len(log_bases) == 1 else np.quantile(
        pairs, np.linspace(0.05, 0.95, _NUM_STARTS))
    best, best_error = None, np.inf
    for trial in trials:
        level = np.abs(log_sizes[:, None] - log_bases[None] - trial).argmin(1)
        centres, error = _lattice_kmeans(log_sizes, log_bases,
                                         _start(log_sizes - log_bases[level], k))
        if error < best_error - 1e-9:
            best, best_error = centres, error
    return best


def _better(after: AnchorCheck, before: AnchorCheck) -> bool:
    """Fewer boxes without a positive anchor first, then fewer below
    pos_iou_thr, then a higher mean best IoU."""
    def score(check):
        return (round(check.share_below_min_pos, 6), round(check.share_below_pos, 6),
                -float(check.best_iou.mean()))
    return score(after) < score(before)


def fit_anchors(cfg, check: Optional[AnchorCheck] = None) -> AnchorFit:
    """Fit the scales and ratios of the anchor generator to the train boxes.

    k-means on the log box sizes sqrt(w*h) (on the lattice of the levels'
    base sizes, see :func:`_fit_log_scales`) with as many centres as the
    generator has scales, and on the log aspect ratios h/w with as many as it
    has ratios: the head keeps its number of anchors per location.

    Args:
        cfg (mmengine.Config | dict): The detector config (not changed; see
            :func:`apply_fit`).
        check (AnchorCheck, optional): :func:`check_anchors` of ``cfg``, when
            already measured.

    Returns:
        AnchorFit: The fitted scales and ratios (3 significant digits), and the
        check before and after.

    Raises:
        CLIError: The generator is not mmdet's ``AnchorGenerator`` (whose
            ``scales`` and ``ratios`` this fits).
    """
    where, generator_cfg, _ = anchor_generator_of(cfg)
    kind = str(generator_cfg.get('type', '')).split('.')[-1]
    if kind not in ('AnchorGenerator', 'LegacyAnchorGenerator'):
        raise CLIError(f'{where}.type: --auto-anchors fits the scales and ratios of '
                       f"AnchorGenerator, not of {generator_cfg.get('type')}")
    before = check if check is not None else check_anchors(cfg)
    generator = _build_generator(generator_cfg)
    log_bases = np.log(np.array([float(np.mean(b)) if isinstance(b, (list, tuple))
                                 else float(b) for b in generator.base_sizes]))
    sizes = before.sizes
    if len(sizes) > _MAX_FIT_BOXES:
        sizes = sizes[np.random.RandomState(0).choice(len(sizes), _MAX_FIT_BOXES,
                                                      replace=False)]
    log_sizes = np.log(np.sqrt(sizes.prod(1)))
    scales = [float(f'{v:.3g}') for v in
              np.exp(_fit_log_scales(log_sizes, log_bases, len(generator.scales)))]
    log_ratios = np.log(sizes[:, 1] / sizes[:, 0])
    ratios = [float(f'{v:.3g}') for v in
              np.exp(_kmeans_1d(log_ratios, len(generator.ratios)))]
    fitted = copy.deepcopy(dict(generator_cfg))
    _set_fit(fitted, scales, ratios)
    after = _measure(before.sizes, fitted, before.pos_iou_thr, before.min_pos_iou,
                     where, before.ann_files, before.scales)
    return AnchorFit(scales, ratios, before, after, _better(after, before))


def _set_fit(generator_cfg: dict, scales: List[float], ratios: List[float]) -> None:
    """Write fitted scales and ratios into an AnchorGenerator config, in place.
    They replace an ``octave_base_scale`` / ``scales_per_octave`` pair
    (RetinaNet): AnchorGenerator asserts that it gets one form or the other."""
    generator_cfg.pop('octave_base_scale', None)
    generator_cfg.pop('scales_per_octave', None)
    generator_cfg['scales'] = list(scales)
    generator_cfg['ratios'] = list(ratios)


def apply_fit(cfg, fit: AnchorFit) -> bool:
    """Write the fitted scales and ratios into ``cfg``'s anchor generator when
    they fit better than the config's (:attr:`AnchorFit.improved`); returns
    whether it did. The number of anchors per location is unchanged, so the
    head's layers are built as before."""
    if not fit.improved:
        return False
    _set_fit(anchor_generator_of(cfg)[1], fit.scales, fit.ratios)
    return True


def describe_fit(fit: AnchorFit) -> List[str]:
    """The fit as printed lines: the values, and the shares before / after."""
    b, a = fit.before, fit.after
    lines = [
        f'auto anchors ({b.where}): scales {_numbers(fit.scales)}, ratios h/w '
        f'{_numbers(fit.ratios)} ({len(fit.scales)} x {len(fit.ratios)} per '
        'location, as before)',
        f'  boxes below pos_iou_thr {b.pos_iou_thr:g}: {b.share_below_pos:.1%} -> '
        f'{a.share_below_pos:.1%}; below min_pos_iou {b.min_pos_iou:g}: '
        f'{b.share_below_min_pos:.1%} -> {a.share_below_min_pos:.1%}; median best '
        f'IoU {np.median(b.best_iou):.2f} -> {np.median(a.best_iou):.2f}',
    ]
    if not fit.improved:
        lines.append("  the fitted anchors are no better: the config's are kept")
    return lines
