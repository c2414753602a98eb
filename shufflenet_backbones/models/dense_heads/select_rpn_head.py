from typing import Optional, Sequence, Tuple

import torch
from mmdet.models.dense_heads import RPNHead
from mmdet.structures.bbox import get_box_tensor, get_box_wh, scale_boxes
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from torch import Tensor

from ...ops import nms_top_k
from ...registry import register_detection_model

# mmcv's batched_nms runs one NMS over all levels below this many boxes (its
# default split_thr) and one per level, then an unstable sort, above it
MMCV_SPLIT_THRESHOLD = 10000
# NMS settings the early-stopped NMS reproduces exactly (mmcv's plain ``nms``)
EXACT_NMS_KEYS = {'type', 'iou_threshold', 'offset'}


@register_detection_model
class SelectRPNHead(RPNHead):
    """mmdet's ``RPNHead`` that reads only some of the neck's outputs, and whose
    proposal NMS stops once it has kept ``max_per_img`` boxes.

    Light-Head R-CNN runs its RPN on the stride-16 backbone feature while the R-CNN
    part reads the thin feature map; both arrive in one tuple. ``in_indices`` says
    which entries are the RPN's levels (one per anchor-generator stride).

    The proposals are mmdet's, box for box and in the same order: the NMS visits
    the score order block by block and stops once ``max_per_img`` boxes are kept
    (:func:`~shufflenet_backbones.ops.nms_top_k`), instead of comparing all
    ``nms_pre`` boxes pair by pair; on CPU that loop was the largest stage of the
    eager test time with trained weights (``docs/performance.md``). Where that
    would not be exact (GPU tensors, an NMS other than mmcv's plain ``nms``,
    ``split_thr`` boxes or more) it is mmdet's own post-processing.

    Args:
        in_indices (Sequence[int]): Positions in the neck outputs. Default: (1, ).
        **kwargs: Everything ``RPNHead`` takes.
    """

    def __init__(self, *args, in_indices: Sequence[int] = (1, ), **kwargs):
        super().__init__(*args, **kwargs)
        self.in_indices = tuple(in_indices)
        num_levels = self.prior_generator.num_levels
        if len(self.in_indices) != num_levels:
            raise ValueError(f'SelectRPNHead: in_indices {self.in_indices} must give '
                             f'one feature per anchor level ({num_levels})')

    def forward(self, x: Tuple[Tensor, ...]) -> Tuple[list, list]:
        return super().forward(tuple(x[i] for i in self.in_indices))

    def _bbox_post_process(self,
                           results: InstanceData,
                           cfg: ConfigDict,
                           rescale: bool = False,
                           with_nms: bool = True,
                           img_meta: Optional[dict] = None) -> InstanceData:
        """``RPNHead._bbox_post_process`` step for step (rescale, drop small
        boxes, NMS over the levels, keep ``max_per_img``), the NMS stopped early."""
        if not (with_nms and _nms_stops_early(results.bboxes, cfg)):
            return super()._bbox_post_process(results, cfg, rescale, with_nms,
                                              img_meta)
        if rescale:
            scale_factor = [1 / s for s in img_meta['scale_factor']]
            results.bboxes = scale_boxes(results.bboxes, scale_factor)
        if cfg.get('min_bbox_size', -1) >= 0:
            w, h = get_box_wh(results.bboxes)
            valid_mask = (w > cfg.min_bbox_size) & (h > cfg.min_bbox_size)
            if not valid_mask.all():
                results = results[valid_mask]
        if len(results) == 0 or len(results) >= MMCV_SPLIT_THRESHOLD:
            # mmdet's (empty results; one NMS per level); its small-box filter
            # finds nothing left to drop
            return super()._bbox_post_process(results, cfg, False, with_nms, img_meta)
        bboxes = get_box_tensor(results.bboxes)
        keep = nms_top_k(_boxes_apart_by_level(bboxes, results.level_ids),
                         results.scores, cfg.nms.iou_threshold, cfg.max_per_img,
                         offset=cfg.nms.get('offset', 0))
        results = results[keep]
        results.labels = results.scores.new_zeros(len(results), dtype=torch.long)
        del results.level_ids
        return results


def _nms_stops_early(bboxes, cfg: ConfigDict) -> bool:
    """Whether :func:`nms_top_k` gives exactly mmcv's ``batched_nms`` result."""
    nms_cfg = cfg.get('nms') or {}
    boxes = get_box_tensor(bboxes)
    return (nms_cfg.get('type', 'nms') == 'nms' and set(nms_cfg) <= EXACT_NMS_KEYS
            and cfg.get('max_per_img', -1) > 0 and boxes.device.type == 'cpu'
            and boxes.dtype == torch.float32 and boxes.size(-1) == 4)


def _boxes_apart_by_level(bboxes: Tensor, level_ids: Tensor) -> Tensor:
    """The boxes mmcv's ``batched_nms`` runs its one NMS on: each level shifted
    past the largest coordinate, so that levels never suppress each other (the
    same arithmetic, hence the same floats)."""
    offsets = level_ids.to(bboxes) * (bboxes.max() + torch.tensor(1).to(bboxes))
    return bboxes + offsets[:, None]
