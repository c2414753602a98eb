"""Building blocks of the exported graphs.

Each runs in eager PyTorch (so the wrapped model can be compared with the original)
and traces to standard ONNX ops only -- no custom domain -- so that stock
onnxruntime and OpenVINO run the files with nothing else installed. Shapes stay
static per image: where mmdet keeps a variable number of boxes, these keep a fixed
number and a score below every real score (:data:`INVALID_SCORE`) marks the empty
slots.
"""
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import Tensor
from torchvision.ops import nms as _torchvision_nms

# The score of an empty slot: below every probability, so it never wins a top-k
# against a real box and never passes a score threshold >= 0.
INVALID_SCORE = -1.0


# ONNX ``NonMaxSuppression`` (opset 10+) as a torch op, so that both exporters
# see one node they translate to it: the TorchScript exporter through the
# symbolic registered below, the torch.export-based one through
# :data:`DYNAMO_TRANSLATIONS` (it never calls an autograd.Function's symbolic,
# and would trace the eager loop, whose output size depends on the scores).
@torch.library.custom_op('shufflenet_backbones::non_max_suppression',
                         mutates_args=())
def non_max_suppression(boxes: Tensor, scores: Tensor, max_per_class: int,
                        iou_threshold: float, score_threshold: float) -> Tensor:
    """ONNX ``NonMaxSuppression`` in eager PyTorch.

    boxes (N, S, 4) x1 y1 x2 y2, scores (N, C, S) -> selected (M, 3) int64 rows
    ``[image, class, box]``, per (image, class) in descending score order, at
    most ``max_per_class`` each, only boxes scoring above ``score_threshold``;
    a box is suppressed by a kept one whose IoU with it exceeds ``iou_threshold``
    -- the rule of torchvision's and mmcv's ``nms``.
    """
    selected = []
    for image in range(scores.shape[0]):
        for cls in range(scores.shape[1]):
            candidates = (scores[image, cls] > score_threshold).nonzero()[:, 0]
            keep = _torchvision_nms(boxes[image, candidates],
                                    scores[image, cls, candidates],
                                    iou_threshold)[:max_per_class]
            rows = torch.empty((len(keep), 3), dtype=torch.long)
            rows[:, 0], rows[:, 1], rows[:, 2] = image, cls, candidates[keep]
            selected.append(rows)
    return torch.cat(selected).to(boxes.device)


@non_max_suppression.register_fake
def _(boxes: Tensor, scores: Tensor, max_per_class: int, iou_threshold: float,
      score_threshold: float) -> Tensor:
    # how many boxes survive depends on their values: a size torch.export
    # leaves symbolic (the graph after it never branches on it)
    num_selected = torch.library.get_ctx().new_dynamic_size()
    return boxes.new_empty((num_selected, 3), dtype=torch.long)


@torch.onnx.symbolic_helper.parse_args('v', 'v', 'i', 'f', 'f')
def _non_max_suppression_symbolic(g, boxes, scores, max_per_class: int,
                                  iou_threshold: float, score_threshold: float):
    def constant(value, dtype):
        return g.op('Constant', value_t=torch.tensor([value], dtype=dtype))

    return g.op('NonMaxSuppression', boxes, scores,
                constant(max_per_class, torch.long),
                constant(iou_threshold, torch.float),
                constant(score_threshold, torch.float))


torch.onnx.register_custom_op_symbolic('shufflenet_backbones::non_max_suppression',
                                       _non_max_suppression_symbolic, 10)


def _non_max_suppression_onnxscript(boxes, scores, max_per_class: int,
                                    iou_threshold: float, score_threshold: float):
    # imported here: only a torch.export-based export needs onnxscript
    from onnxscript import opset18 as op

    # the same constants as the TorchScript symbolic: one graph from both
    return op.NonMaxSuppression(boxes, scores,
                                op.Constant(value_ints=[max_per_class]),
                                op.Constant(value_floats=[iou_threshold]),
                                op.Constant(value_floats=[score_threshold]))


# ``custom_translation_table`` of ``torch.onnx.export(..., dynamo=True)``: the
# ONNX of this module's custom ops
DYNAMO_TRANSLATIONS = {
    torch.ops.shufflenet_backbones.non_max_suppression.default:
    _non_max_suppression_onnxscript,
}


def batched_nms_topk(boxes: Tensor, scores: Tensor, groups: Tensor,
                     iou_threshold: float, score_threshold: float,
                     max_num: int) -> Tuple[Tensor, Tensor]:
    """Per-group NMS, then the ``max_num`` best survivors of each image.

    The groups (classes, or the RPN's levels) are kept apart as mmcv's
    ``batched_nms`` keeps them: each group's boxes are shifted by
    ``group * (largest coordinate + 1)`` so that boxes of different groups never
    overlap, and one NMS runs over all of them.

    Args:
        boxes (Tensor): (N, S, 4), x1 y1 x2 y2.
        scores (Tensor): (N, S); :data:`INVALID_SCORE` for boxes to drop.
        groups (Tensor): (N, S) or (S, ) group ids.
        iou_threshold (float): IoU above which the lower-scoring box goes.
        score_threshold (float): Boxes must score above it.
        max_num (int): Boxes kept per image.

    Returns:
        tuple[Tensor, Tensor]: ``scores`` (N, K) in descending order, with
        :data:`INVALID_SCORE` in empty slots, and ``indices`` (N, K) into S;
        K = min(max_num, S).
    """
    shifted = _separate_groups(boxes, scores > score_threshold, groups)
    selected = non_max_suppression(shifted, scores[:, None], max_num,
                                   iou_threshold, score_threshold)
    kept = torch.zeros_like(scores, dtype=torch.bool)
    kept[selected[:, 0], selected[:, 2]] = True
    masked = torch.where(kept, scores, torch.full_like(scores, INVALID_SCORE))
    return masked.topk(min(max_num, scores.shape[1]), dim=1)


def _separate_groups(boxes: Tensor, taking_part: Tensor, groups: Tensor) -> Tensor:
    """Boxes shifted by ``group * (largest coordinate + 1)``, the largest
    coordinate of the boxes taking part, per image, as mmcv's ``batched_nms``
    computes it (the same offsets, the same rounding): boxes of different groups
    never overlap."""
    largest = torch.where(taking_part, boxes.max(dim=-1).values,
                          torch.zeros_like(taking_part, dtype=boxes.dtype)
                          ).max(dim=1).values
    offsets = groups.to(boxes.dtype) * (largest[:, None] + 1)
    return boxes + offsets[..., None]


SOFT_NMS_METHODS = ('naive', 'linear', 'gaussian')


def grouped_soft_nms_topk(boxes: Tensor, scores: Tensor, score_threshold: float,
                          max_num: int, iou_threshold: float = 0.3,
                          sigma: float = 0.5, min_score: float = 1e-3,
                          method: str = 'linear') -> Tuple[Tensor, Tensor]:
    """Soft-NMS per group (mmcv's ``soft_nms`` inside ``batched_nms``, what
    mmdet's ``multiclass_nms`` runs), then the ``max_num`` best survivors of each
    image, with their decayed scores.

    ONNX has no soft-NMS op, so its loop is unrolled ``max_num`` times in plain
    tensor ops (which is why this is written here rather than calling mmcv):
    each step takes the best remaining box, multiplies the scores of its group
    by mmcv's weight of their IoU with it (linear: ``1 - IoU`` where IoU >=
    ``iou_threshold``; gaussian: ``exp(-IoU^2 / sigma)``; naive: 0 where IoU >=
    ``iou_threshold``) and drops those that fall below ``min_score``. Scores only
    decrease, so boxes come out best first and the first ``max_num`` are the
    ``max_num`` best of mmcv's full run, provided ``min_score <=
    score_threshold`` (mmcv also drops boxes that start under ``min_score``,
    sparing the first box of each of its calls; the exporter refuses configs
    where that matters). The groups lie along their own axis, so
    a step touches only its group's boxes; the IoUs are taken on the boxes
    shifted apart as mmcv's ``batched_nms`` shifts them (the same rounding).

    Args:
        boxes (Tensor): (N, G, R, 4), x1 y1 x2 y2, R boxes in each of G groups.
        scores (Tensor): (N, G, R); :data:`INVALID_SCORE` for boxes to drop.
        score_threshold (float): Boxes must score above it.
        max_num (int): Boxes kept per image.
        iou_threshold, sigma, min_score, method: mmcv's ``soft_nms`` arguments,
            with its defaults.

    Returns:
        tuple[Tensor, Tensor]: ``scores`` (N, K) in descending order, with
        :data:`INVALID_SCORE` in empty slots, and ``indices`` (N, K) into the
        G x R boxes flattened (``group * R + box``); K = min(max_num, G x R).
    """
    if method not in SOFT_NMS_METHODS:
        raise ValueError(f'soft-NMS method {method!r}: one of {SOFT_NMS_METHODS}')
    num_images, num_groups, num_boxes = scores.shape
    taking_part = scores > score_threshold
    groups = torch.arange(num_groups, device=boxes.device)[:, None].expand(
        -1, num_boxes).reshape(1, -1)
    x1, y1, x2, y2 = _separate_groups(
        boxes.reshape(num_images, -1, 4), taking_part.reshape(num_images, -1),
        groups).view_as(boxes).unbind(-1)
    areas = (x2 - x1) * (y2 - y1)
    invalid = torch.full_like(scores, INVALID_SCORE)
    remaining = torch.where(taking_part, scores, invalid)
    best_scores, best_indices = [], []
    for _ in range(min(max_num, num_groups * num_boxes)):
        best, index = remaining.reshape(num_images, -1).max(dim=1, keepdim=True)
        best_scores.append(best)
        best_indices.append(index)
        # the best box's group (one row of R per image), and the box in it
        group = (index // num_boxes)[:, :, None].expand(-1, 1, num_boxes)
        box = (index % num_boxes)[:, :, None]
        rx1, ry1, rx2, ry2, rarea, current = (  # (N, 1, R) each
            value.gather(1, group) for value in (x1, y1, x2, y2, areas, remaining))
        bx1, by1, bx2, by2, barea = (
            value.gather(2, box) for value in (rx1, ry1, rx2, ry2, rarea))
        inter = ((torch.min(rx2, bx2) - torch.max(rx1, bx1)).clamp(min=0)
                 * (torch.min(ry2, by2) - torch.max(ry1, by1)).clamp(min=0))
        iou = inter / (rarea + barea - inter)
        if method == 'gaussian':
            weight = torch.exp(-iou * iou / sigma)
        else:
            weight = torch.where(iou >= iou_threshold, 1 - iou if method == 'linear'
                                 else torch.zeros_like(iou), torch.ones_like(iou))
        decayed = current * weight
        current = torch.where((current > INVALID_SCORE) & (decayed >= min_score),
                              decayed, torch.full_like(decayed, INVALID_SCORE))
        remaining = remaining.scatter(1, group, current.scatter(2, box,
                                                                INVALID_SCORE))
    return torch.cat(best_scores, dim=1), torch.cat(best_indices, dim=1)


def gather_rows(values: Tensor, indices: Tensor) -> Tensor:
    """``values[n, indices[n, k]]``: (N, S, D) and (N, K) -> (N, K, D)."""
    return values.gather(1, indices[..., None].expand(-1, -1, values.shape[-1]))


def clip_boxes(boxes: Tensor, img_shapes: Tensor) -> Tensor:
    """Clamp (N, S, 4) boxes into each image's (h, w) (mmdet's ``clip_border``)."""
    heights = img_shapes[:, 0, None].to(boxes.dtype)
    widths = img_shapes[:, 1, None].to(boxes.dtype)
    zero = torch.zeros_like(boxes[..., 0])
    x1, y1, x2, y2 = boxes.unbind(-1)
    return torch.stack([
        torch.min(torch.max(x1, zero), widths),
        torch.min(torch.max(y1, zero), heights),
        torch.min(torch.max(x2, zero), widths),
        torch.min(torch.max(y2, zero), heights)
    ], dim=-1)


def normalize(images: Tensor, preprocessor) -> Tensor:
    """The channel flip (``bgr_to_rgb``) and ``(x - mean) / std`` of an mmdet,
    mmseg or mmpretrain data preprocessor (mmseg names the flag without ``_``)."""
    x = images.float()
    if (getattr(preprocessor, '_channel_conversion', False)
            or getattr(preprocessor, 'channel_conversion', False)):
        x = x[:, [2, 1, 0]]
    if getattr(preprocessor, '_enable_normalize', False):
        x = (x - preprocessor.mean) / preprocessor.std
    return x


def normalize_and_pad(images: Tensor, img_shapes: Tensor, preprocessor) -> Tensor:
    """What mmdet / mmseg / mmpretrain data preprocessors do to a batch.

    Channel flip (``bgr_to_rgb``), ``(x - mean) / std``, then padding: outside
    each image's valid (h, w) the values become the preprocessor's ``pad_value``
    (as when mmengine stacks images of different sizes), and the batch grows to
    a multiple of ``pad_size_divisor``.

    Args:
        images (Tensor): (N, 3, H, W) pixels as loaded (0-255, BGR for mmcv).
        img_shapes (Tensor): (N, 2) valid height and width of each image.
        preprocessor: The model's ``data_preprocessor``.
    """
    x = normalize(images, preprocessor)
    pad_value = float(getattr(preprocessor, 'pad_value', 0))
    rows = torch.arange(x.shape[2], device=x.device)
    cols = torch.arange(x.shape[3], device=x.device)
    inside = ((rows[None, :, None] < img_shapes[:, 0, None, None])
              & (cols[None, None, :] < img_shapes[:, 1, None, None]))
    x = torch.where(inside[:, None], x, torch.full_like(x, pad_value))
    divisor = int(getattr(preprocessor, 'pad_size_divisor', 1) or 1)
    # always F.pad, also by 0: a Python test on the amounts would be frozen at
    # trace time, and a dynamic graph traced at a multiple of the divisor would
    # never pad other sizes
    return F.pad(x, (0, -x.shape[3] % divisor, 0, -x.shape[2] % divisor),
                 value=pad_value)
