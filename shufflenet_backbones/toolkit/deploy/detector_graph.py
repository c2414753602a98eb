"""A two-stage mmdet detector as one traceable module, image in, detections out.

mmdet 3.x has no ONNX export of its own, and mmdeploy does not run on this stack
(see docs/deployment.md), so the test-time path of mmdet's
``TwoStageDetector`` is written out here with the building blocks of
:mod:`.graph_ops`, calling the detector's own modules (backbone, neck, heads,
anchor generator, box coders) wherever they trace to standard ONNX ops.
"""
from typing import List, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.models.detectors import TwoStageDetector
from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.roi_heads.mask_heads import FCNMaskHead
from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor
from mmdet.models.task_modules.coders import DeltaXYWHBBoxCoder
from torch import Tensor
from torchvision.ops import roi_align

from ...models.roi_extractors import PSRoIExtractor
from .graph_ops import (INVALID_SCORE, SOFT_NMS_METHODS, batched_nms_topk,
                        clip_boxes, gather_rows, grouped_soft_nms_topk,
                        normalize_and_pad)


class UnsupportedModelError(ValueError):
    """The model has a part that the exporter cannot write out."""


def _check_nms(cfg, where: str, types=('nms', )) -> None:
    nms_type = cfg.nms.get('type', 'nms')
    if nms_type not in types:
        raise UnsupportedModelError(
            f'{where}.nms.type={nms_type!r}: {" and ".join(types)} export here; '
            f'export with --cfg-options {where}.nms.type=nms')
    if cfg.nms.get('class_agnostic', False):
        raise UnsupportedModelError(f'{where}.nms.class_agnostic=True: only NMS '
                                    'per class exports')
    if nms_type == 'soft_nms':
        _check_soft_nms(cfg, where)


def _check_soft_nms(cfg, where: str) -> None:
    """What :func:`~.graph_ops.grouped_soft_nms_topk` reproduces exactly."""
    method = cfg.nms.get('method', 'linear')
    if method not in SOFT_NMS_METHODS:
        raise UnsupportedModelError(f'{where}.nms.method={method!r}: one of '
                                    f'{SOFT_NMS_METHODS}')
    if cfg.nms.get('offset', 0) != 0:
        raise UnsupportedModelError(f'{where}.nms.offset={cfg.nms.offset}: only '
                                    'offset 0 (mmcv\'s default) exports')
    # mmcv drops boxes under min_score across classes, sparing the first box
    # of its call, which is one call per image or per class depending on the box
    # count; with min_score <= score_thr no box starts under it and this differs
    min_score = cfg.nms.get('min_score', 1e-3)
    if min_score > cfg.score_thr:
        raise UnsupportedModelError(
            f'{where}.nms.min_score={min_score} is above {where}.score_thr='
            f'{cfg.score_thr}: only min_score <= score_thr exports')


# StandardRoIHead's test-time path, which DetectorGraph writes out
TEST_TIME_METHODS = ('predict', 'predict_bbox', 'predict_mask', '_bbox_forward',
                     '_mask_forward')


def _check_roi_align(extractor: nn.Module, where: str) -> None:
    if not isinstance(extractor, SingleRoIExtractor):
        raise UnsupportedModelError(
            f'{where} {type(extractor).__name__}: only SingleRoIExtractor exports')
    layer = extractor.roi_layers[0]
    if (type(layer).__name__ != 'RoIAlign' or not layer.aligned
            or layer.pool_mode != 'avg'):
        raise UnsupportedModelError(
            f"{where}.roi_layer: only RoIAlign(aligned=True, pool_mode='avg') "
            'exports')


def _check_mask_branch(roi_head: StandardRoIHead) -> None:
    if roi_head.share_roi_extractor:
        raise UnsupportedModelError('model.roi_head: a mask branch sharing the box '
                                    "branch's RoI features does not export")
    _check_roi_align(roi_head.mask_roi_extractor, 'model.roi_head.mask_roi_extractor')
    if not isinstance(roi_head.mask_head, FCNMaskHead):
        raise UnsupportedModelError(
            f'model.roi_head.mask_head {type(roi_head.mask_head).__name__}: only '
            'FCNMaskHead (and its subclasses) export')


def check_supported(detector: nn.Module) -> None:
    """Raise :class:`UnsupportedModelError` naming the first part that
    :class:`DetectorGraph` cannot write out."""
    name = type(detector).__name__
    if not isinstance(detector, TwoStageDetector) or not detector.with_rpn:
        raise UnsupportedModelError(
            f'model {name}: the exporter writes out two-stage detectors with an RPN '
            '(Light-Head R-CNN, ThunderNet, Faster / Mask R-CNN)')
    roi_head = detector.roi_head
    if not isinstance(roi_head, StandardRoIHead):
        raise UnsupportedModelError(
            f'model.roi_head {type(roi_head).__name__}: only StandardRoIHead '
            '(and its subclasses) export')
    # a subclass that tests otherwise (e.g. Mask Scoring R-CNN's rescoring)
    # would export as StandardRoIHead, silently
    changed = [name for name in TEST_TIME_METHODS
               if getattr(type(roi_head), name) is not getattr(StandardRoIHead, name)]
    if changed or roi_head.with_shared_head:
        raise UnsupportedModelError(
            f'model.roi_head {type(roi_head).__name__}: '
            f'{", ".join(changed) or "shared_head"} differ(s) from '
            'StandardRoIHead, whose test-time path alone exports')
    extractor = detector.roi_head.bbox_roi_extractor
    if isinstance(extractor, SingleRoIExtractor):
        _check_roi_align(extractor, 'model.roi_head.bbox_roi_extractor')
    elif not isinstance(extractor, PSRoIExtractor):
        raise UnsupportedModelError(
            f'model.roi_head.bbox_roi_extractor {type(extractor).__name__}: only '
            'PSRoIExtractor and SingleRoIExtractor export')
    if detector.roi_head.with_mask:
        _check_mask_branch(detector.roi_head)
    for where, coder in (('model.rpn_head', detector.rpn_head.bbox_coder),
                         ('model.roi_head.bbox_head',
                          detector.roi_head.bbox_head.bbox_coder)):
        if not isinstance(coder, DeltaXYWHBBoxCoder) or coder.add_ctr_clamp:
            raise UnsupportedModelError(
                f'{where}.bbox_coder {type(coder).__name__}: only '
                'DeltaXYWHBBoxCoder exports')
        if not coder.clip_border:  # the graph always clips boxes to the image
            raise UnsupportedModelError(
                f'{where}.bbox_coder.clip_border=False: only boxes clipped to the '
                'image export')
    if detector.roi_head.bbox_head.custom_cls_channels:
        raise UnsupportedModelError('model.roi_head.bbox_head: a loss with its own '
                                    'score activation does not export')
    _check_nms(detector.test_cfg.rpn, 'model.test_cfg.rpn')
    _check_nms(detector.test_cfg.rcnn, 'model.test_cfg.rcnn', ('nms', 'soft_nms'))


def _rois(boxes: Tensor) -> Tensor:
    """(N, K, 4) boxes -> (N * K, 5) RoIs: image index, x1, y1, x2, y2."""
    num_images, num_boxes = boxes.shape[:2]
    image_index = torch.arange(num_images, device=boxes.device)
    image_index = image_index[:, None, None].to(boxes.dtype).expand(
        -1, num_boxes, 1)
    return torch.cat([image_index, boxes], dim=-1).reshape(-1, 5)


def _aligned_roi_features(extractor: SingleRoIExtractor, feats: Tuple[Tensor, ...],
                          rois: Tensor) -> Tensor:
    """mmdet's ``SingleRoIExtractor`` with mmcv's aligned RoIAlign, in ops that
    export: torchvision's ``roi_align`` (ONNX ``RoiAlign``, half-pixel) pools
    every RoI from every level, and each RoI keeps its own level's result. That
    pools ``num_levels`` times more than needed, but keeps shapes static."""
    num_levels = len(extractor.featmap_strides)
    levels = extractor.map_roi_levels(rois, num_levels)
    layer = extractor.roi_layers[0]
    pooled = None
    for level in range(num_levels):
        feat = roi_align(feats[level], rois, layer.output_size,
                         spatial_scale=1 / extractor.featmap_strides[level],
                         sampling_ratio=layer.sampling_ratio, aligned=True)
        here = (levels == level)[:, None, None, None]
        pooled = feat * here if pooled is None else torch.where(here, feat, pooled)
    return pooled


class DetectorGraph(nn.Module):
    """The test-time path of a two-stage detector, batched and traceable.

    Inputs:
        images (N, 3, H, W) float: pixels as the config's test pipeline leaves
            them (resized, 0-255, the loader's channel order), top-left aligned;
            values outside each image's valid area are ignored.
        img_shapes (N, 2) int64: valid height and width of each image.

    Outputs:
        dets (N, K, 5) float: x1, y1, x2, y2 in input pixels, and score;
            K = ``test_cfg.rcnn.max_per_img``, best first; slots without a
            detection have score -1.
        labels (N, K) int64: class indices.
        masks (N, K, M, M) float, detectors with a mask head only: each
            detection's mask probabilities in its box (M = 28 in Mask R-CNN),
            pasted into the image outside the graph (:class:`~.backend_model.
            BackendModel`), as mmdet pastes them.

    Steps, each as mmdet does it at test time: normalisation and padding; the
    backbone and neck; per RPN level the ``nms_pre`` best anchors, decoded and
    clipped, boxes not wider and taller than ``min_bbox_size`` dropped, NMS per
    level and the ``max_per_img`` best proposals; RoI pooling (PSRoIAlign or
    per-level RoIAlign); the R-CNN head; per-class box decoding and clipping,
    the score threshold, per-class NMS (or soft-NMS) and the ``max_per_img``
    best.

    Args:
        detector (TwoStageDetector): In eval mode, weights loaded.
    """

    input_names = ('images', 'img_shapes')

    def __init__(self, detector: TwoStageDetector):
        super().__init__()
        check_supported(detector)
        self.detector = detector
        self.output_names = ('dets', 'labels', 'masks') \
            if detector.roi_head.with_mask else ('dets', 'labels')
        self.eval()  # also what torch.onnx.export restores afterwards

    def forward(self, images: Tensor, img_shapes: Tensor) -> Tuple[Tensor, ...]:
        detector = self.detector
        x = normalize_and_pad(images, img_shapes, detector.data_preprocessor)
        feats = detector.extract_feat(x)
        proposals, proposal_valid = self._proposals(feats, img_shapes)
        dets, labels = self._detections(feats, proposals, proposal_valid,
                                        img_shapes)
        if not detector.roi_head.with_mask:
            return dets, labels
        return dets, labels, self._masks(feats, dets, labels)

    def _proposals(self, feats: Tuple[Tensor, ...],
                   img_shapes: Tensor) -> Tuple[Tensor, Tensor]:
        """RPN: (N, P, 4) proposals and (N, P) whether each slot holds one."""
        head = self.detector.rpn_head
        cfg = self.detector.test_cfg.rpn
        cls_scores, bbox_preds = head(feats)
        anchors = head.prior_generator.grid_priors(
            [score.shape[-2:] for score in cls_scores], device=cls_scores[0].device)
        num_images = cls_scores[0].shape[0]
        all_boxes: List[Tensor] = []
        all_scores: List[Tensor] = []
        all_levels: List[Tensor] = []
        for level, (cls_score, bbox_pred, level_anchors) in enumerate(
                zip(cls_scores, bbox_preds, anchors)):
            cls_score = cls_score.permute(0, 2, 3, 1).reshape(
                num_images, -1, head.cls_out_channels)
            # the object probability, as mmdet's RPNHead computes it
            scores = (cls_score.sigmoid()[..., 0] if head.use_sigmoid_cls else
                      cls_score.softmax(-1)[..., 0])
            deltas = bbox_pred.permute(0, 2, 3, 1).reshape(num_images, -1, 4)
            level_anchors = level_anchors.expand(num_images, -1, -1)
            nms_pre = cfg.get('nms_pre', -1)
            if nms_pre > 0:
                # mmdet keeps the nms_pre best anchors, or all where there are
                # fewer. nms_pre empty slots make the top-k size independent of
                # the image size, which a graph with dynamic height and width
                # needs; they never win against a real anchor.
                scores = torch.cat([scores, torch.full_like(
                    scores[:, :1], INVALID_SCORE).expand(-1, nms_pre)], dim=1)
                deltas = F.pad(deltas, (0, 0, 0, nms_pre))
                level_anchors = F.pad(level_anchors, (0, 0, 0, nms_pre))
                scores, top = scores.topk(nms_pre, dim=1)
                deltas = gather_rows(deltas, top)
                level_anchors = gather_rows(level_anchors, top)
            boxes = head.bbox_coder.decode(
                level_anchors.reshape(-1, 4), deltas.reshape(-1, 4)).view(
                    num_images, -1, 4)
            all_boxes.append(clip_boxes(boxes, img_shapes))
            all_scores.append(scores)
            all_levels.append(torch.full_like(scores, level, dtype=torch.long))
        boxes = torch.cat(all_boxes, dim=1)
        scores = torch.cat(all_scores, dim=1)
        min_size = cfg.get('min_bbox_size', -1)
        if min_size >= 0:
            large = ((boxes[..., 2] - boxes[..., 0] > min_size)
                     & (boxes[..., 3] - boxes[..., 1] > min_size))
            scores = torch.where(large, scores,
                                 torch.full_like(scores, INVALID_SCORE))
        # RPN scores are probabilities (> 0): threshold 0 only drops empty slots
        scores, keep = batched_nms_topk(boxes, scores, torch.cat(all_levels, dim=1),
                                        cfg.nms.iou_threshold, 0.0, cfg.max_per_img)
        return gather_rows(boxes, keep), scores > INVALID_SCORE

    def _detections(self, feats: Tuple[Tensor, ...], proposals: Tensor,
                    proposal_valid: Tensor,
                    img_shapes: Tensor) -> Tuple[Tensor, Tensor]:
        roi_head = self.detector.roi_head
        bbox_head = roi_head.bbox_head
        cfg = self.detector.test_cfg.rcnn
        num_images, num_proposals = proposals.shape[:2]
        rois = _rois(proposals)

        extractor = roi_head.bbox_roi_extractor
        feats = feats[:extractor.num_inputs]
        if isinstance(extractor, SingleRoIExtractor):
            roi_feats = _aligned_roi_features(extractor, feats, rois)
        else:
            roi_feats = extractor(feats, rois)
        cls_score, bbox_pred = bbox_head(roi_feats)

        num_classes = bbox_head.num_classes
        scores = cls_score.softmax(-1)[:, :num_classes]  # without background
        reg_classes = 1 if bbox_head.reg_class_agnostic else num_classes
        boxes = bbox_head.bbox_coder.decode(
            rois[:, None, 1:].expand(-1, reg_classes, 4).reshape(-1, 4),
            bbox_pred.reshape(-1, 4)).view(num_images, num_proposals, reg_classes, 4)
        boxes = boxes.expand(-1, -1, num_classes, -1).reshape(num_images, -1, 4)
        boxes = clip_boxes(boxes, img_shapes)
        scores = scores.view(num_images, num_proposals, num_classes)
        scores = torch.where(proposal_valid[..., None], scores,
                             torch.full_like(scores, INVALID_SCORE))
        labels = torch.arange(num_classes, device=boxes.device).repeat(num_proposals)
        if cfg.nms.get('type', 'nms') == 'soft_nms':
            # classes along their own axis: (N, classes, proposals)
            scores, keep = grouped_soft_nms_topk(
                boxes.view(num_images, num_proposals, num_classes, 4).transpose(1, 2),
                scores.transpose(1, 2), cfg.score_thr, cfg.max_per_img,
                **{key: cfg.nms[key] for key in (
                    'iou_threshold', 'sigma', 'min_score', 'method')
                    if key in cfg.nms})
            # class * proposals + proposal -> proposal * classes + class
            keep = keep % num_proposals * num_classes + keep // num_proposals
        else:
            scores, keep = batched_nms_topk(boxes, scores.reshape(num_images, -1),
                                            labels, cfg.nms.iou_threshold,
                                            cfg.score_thr, cfg.max_per_img)
        dets = torch.cat([gather_rows(boxes, keep), scores[..., None]], dim=-1)
        return dets, labels[keep]

    def _masks(self, feats: Tuple[Tensor, ...], dets: Tensor,
               labels: Tensor) -> Tensor:
        """(N, K, M, M) mask probabilities of the detections, as mmdet's
        ``FCNMaskHead`` has them before pasting: the mask head on each final box
        (per-level RoIAlign), the channel of its class, sigmoid."""
        roi_head = self.detector.roi_head
        extractor = roi_head.mask_roi_extractor
        num_images, num_dets = dets.shape[:2]
        mask_feats = _aligned_roi_features(
            extractor, feats[:extractor.num_inputs], _rois(dets[..., :4]))
        mask_preds = roi_head.mask_head(mask_feats)  # (N * K, classes, M, M)
        channel = torch.zeros_like(labels) if roi_head.mask_head.class_agnostic \
            else labels
        size = mask_preds.shape[-2:]
        masks = mask_preds.gather(1, channel.reshape(-1, 1, 1, 1).expand(
            -1, 1, *size))
        return masks.sigmoid().view(num_images, num_dets, *size)
