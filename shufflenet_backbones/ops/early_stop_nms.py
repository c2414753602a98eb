"""The first ``k`` boxes greedy NMS keeps, without running it over every box.

Greedy NMS visits the boxes from the highest score down and keeps a box when no
box kept before it overlaps it by more than the threshold; so whether a box is
kept depends only on the boxes visited before it, and the first ``k`` boxes kept
depend only on the boxes up to the ``k``-th kept one. An RPN keeps
``max_per_img`` (1000) of its ``nms_pre`` (6000) proposals, and mmcv's CPU NMS
compares every kept box with every box after it, one pair at a time: on a
trained RPN that loop was the largest stage of the detector's eager test time
(``docs/performance.md``).

:func:`nms_top_k` visits the boxes in blocks, in mmcv's order. A block's boxes
that overlap a box kept in an earlier block are dropped, all pairs at once (one
IoU matrix, computed with mmcv's arithmetic, hence mmcv's floats); mmcv's own
NMS then runs on what is left of the block; and the visit ends once ``k`` boxes
are kept. That is greedy NMS step for step, so it returns mmcv's boxes in mmcv's
order.

Same boxes, not only same scores: mmcv's NMS visits tied scores in the order of
``scores.sort(descending=True)``, which on CPU is not a stable sort. This module
takes that very order from the same call on the same tensor, and hands mmcv each
block with strictly decreasing stand-in scores, so that mmcv visits it in exactly
that order, ties included.
"""
import torch
from mmcv.ops import nms
from torch import Tensor

# boxes per block: small enough that a block's own NMS is cheap, large enough
# that the IoU matrices, not Python, take the time. On the benchmark's trained
# Light-Head R-CNN proposals (6000 per image, one thread, 2026-12-04) 128 and 256
# took 9-18 ms per image, 64 up to 22 ms, 512 up to 38 ms; mmcv's NMS over all
# of them 86-368 ms
BLOCK = 128


def _areas(boxes: Tensor, offset: int) -> Tensor:
    # mmcv's nms_cpu: (x2 - x1 + offset) * (y2 - y1 + offset)
    return (boxes[:, 2] - boxes[:, 0] + offset) * (boxes[:, 3] - boxes[:, 1] + offset)


def _overlaps_any(kept: Tensor, kept_areas: Tensor, block: Tensor,
                  block_areas: Tensor, iou_threshold: float, offset: int) -> Tensor:
    """(B, ) whether each box of ``block`` overlaps some box of ``kept`` by more
    than ``iou_threshold``, each IoU computed as mmcv's nms_cpu computes it (the
    same float32 operations in the same order)."""
    x1 = torch.maximum(kept[:, None, 0], block[None, :, 0])
    y1 = torch.maximum(kept[:, None, 1], block[None, :, 1])
    x2 = torch.minimum(kept[:, None, 2], block[None, :, 2])
    y2 = torch.minimum(kept[:, None, 3], block[None, :, 3])
    inter = (x2 - x1 + offset).clamp(min=0) * (y2 - y1 + offset).clamp(min=0)
    iou = inter / (kept_areas[:, None] + block_areas[None, :] - inter)
    # mmcv compares with a C float: the threshold rounded to float32
    threshold = torch.tensor(iou_threshold, dtype=torch.float32)
    return (iou > threshold).any(dim=0)


def nms_top_k(boxes: Tensor, scores: Tensor, iou_threshold: float, k: int,
              offset: int = 0) -> Tensor:
    """Indices of the first ``k`` boxes that ``mmcv.ops.nms`` keeps, in its order.

    Equal to ``mmcv.ops.nms(boxes, scores, iou_threshold, offset)[1][:k]``, ties
    included (see the module docstring), for float32 CPU tensors: mmcv's CPU
    kernel, the one whose visiting order and arithmetic this reproduces.

    Args:
        boxes (Tensor): (N, 4) boxes, x1 y1 x2 y2, float32 on the CPU.
        scores (Tensor): (N, ) scores.
        iou_threshold (float): IoU above which a box is suppressed.
        k (int): How many kept boxes to return, > 0.
        offset (int): mmcv's box-size offset, 0 or 1. Default: 0.

    Returns:
        Tensor: (min(k, kept), ) int64 indices into ``boxes``.

    Example:
        >>> import torch
        >>> boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.],
        ...                       [20., 20., 30., 30.]])
        >>> nms_top_k(boxes, torch.tensor([0.9, 0.8, 0.7]), 0.5, k=2).tolist()
        [0, 2]
    """
    if k <= 0:
        raise ValueError(f'nms_top_k: k must be positive, got {k}')
    if boxes.device.type != 'cpu' or boxes.dtype != torch.float32:
        raise ValueError('nms_top_k: boxes must be float32 on the CPU (mmcv\'s CPU '
                         f'kernel), got {boxes.dtype} on {boxes.device}')
    # the order mmcv's CPU kernel visits the boxes in (the same call it makes)
    order = scores.sort(0, descending=True)[1]
    visited = boxes[order]
    areas = _areas(visited, offset)
    kept = visited.new_zeros(0, dtype=torch.long)  # positions in ``visited``
    for start in range(0, len(order), BLOCK):
        block = visited[start:start + BLOCK]
        block_areas = areas[start:start + BLOCK]
        alive = torch.arange(len(block))
        if len(kept):
            alive = alive[~_overlaps_any(visited[kept], areas[kept], block,
                                         block_areas, iou_threshold, offset)]
        # strictly decreasing stand-ins: mmcv visits the block in this order
        stand_in = torch.arange(len(alive), 0, -1, dtype=torch.float32)
        _, in_block = nms(block[alive], stand_in, iou_threshold, offset=offset)
        kept = torch.cat([kept, alive[in_block] + start])
        if len(kept) >= k:
            break
    return order[kept[:k]]
