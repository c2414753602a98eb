"""The first ``k`` boxes greedy NMS keeps, without running it over every box.

Greedy NMS visits the boxes from the highest score down and keeps a box when no
box kept before it overlaps it by more than the threshold; so whether a box is
kept depends only on the boxes visited before it, and the first ``k`` boxes kept
depend only on the boxes up to the ``k``-th kept one. An RPN keeps
``max_per_img`` (1000) of its ``nms_pre`` (6000) proposals, and mmcv's CPU NMS
compares every kept box with every box after it: on a trained RPN that loop is
most of the detector's eager test time (``docs/performance.md``). Running mmcv's
own NMS on the top of the visiting order, and doubling it until ``k`` boxes are
kept, gives the same boxes in the same order at a fraction of the cost.

Same boxes, not only same scores: mmcv's NMS visits tied scores in the order of
``scores.sort(descending=True)``, which on CPU is not a stable sort. This module
takes that very order from the same call on the same tensor, and hands mmcv the
prefix with strictly decreasing stand-in scores, so that mmcv visits the prefix
in exactly that order, ties included.
"""
import torch
from mmcv.ops import nms
from torch import Tensor

# boxes visited first, as a multiple of k: enough for an RPN whose proposals
# overlap little (random weights keep most of them), doubled when too few are kept
FIRST_PREFIX = 2


def nms_top_k(boxes: Tensor, scores: Tensor, iou_threshold: float, k: int,
              offset: int = 0) -> Tensor:
    """Indices of the first ``k`` boxes that ``mmcv.ops.nms`` keeps, in its order.

    Equal to ``mmcv.ops.nms(boxes, scores, iou_threshold, offset)[1][:k]``, ties
    included (see the module docstring), for float32 CPU tensors: mmcv's CPU
    kernel, the one whose visiting order this reproduces.

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
    total = len(order)
    visited = min(total, FIRST_PREFIX * k)
    while True:
        prefix = order[:visited]
        # strictly decreasing stand-ins: mmcv visits the prefix in this order
        stand_in = torch.arange(visited, 0, -1, dtype=torch.float32)
        _, kept = nms(boxes[prefix], stand_in, iou_threshold, offset=offset)
        if len(kept) >= k or visited == total:
            return prefix[kept[:k]]
        visited = min(total, 2 * visited)
