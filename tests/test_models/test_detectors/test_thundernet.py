"""ThunderNet as configured: shapes, losses, predictions, and the R-CNN's
gradients reaching the light RPN's trunk through SAM."""
from pathlib import Path

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.testing import demo_mm_inputs
from mmengine.config import Config
from mmengine.registry import DefaultScope

from shufflenet_backbones.models.detectors import ThunderNet
from shufflenet_backbones.toolkit.analysis.complexity import (
    count_multiply_adds, detector_multiply_adds)

CONFIG = Path(__file__).parents[3] / 'configs/_base_/models/thundernet_snet146.py'
NUM_CLASSES = 3


def build(**bbox_head):
    cfg = Config.fromfile(CONFIG)
    cfg.model.backbone.init_cfg = None
    cfg.model.roi_head.bbox_head.update(num_classes=NUM_CLASSES, **bbox_head)
    # also from the module-scoped fixture, which runs outside the per-test scope
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(cfg.model)
    model.init_weights()
    return model


@pytest.fixture(scope='module')
def model():
    return build()


def inputs(model, training):
    packed = demo_mm_inputs(2, [[3, 160, 192], [3, 128, 160]], num_items=[2, 1],
                            num_classes=NUM_CLASSES)
    return model.data_preprocessor(packed, training=training)


def test_features_are_f_sam_and_f_rpn_at_stride_16(model):
    assert isinstance(model, ThunderNet)
    model.eval()
    with torch.no_grad():
        f_sam, f_rpn = model.extract_feat(torch.rand(1, 3, 320, 320))
    assert f_sam.shape == (1, 245, 20, 20) and f_rpn.shape == (1, 256, 20, 20)
    bbox_head = model.roi_head.bbox_head
    assert [fc.out_features for fc in bbox_head.shared_fcs] == [1024]
    assert model.roi_head.bbox_roi_extractor.roi_layers[0].mode == 'max'


def test_loss_and_predict(model):
    model.train()
    losses = model(**inputs(model, True), mode='loss')
    loss, log_vars = model.parse_losses(losses)
    assert torch.isfinite(loss)
    assert {'loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls', 'loss_bbox'} <= set(log_vars)

    model.eval()
    with torch.no_grad():
        results = model(**inputs(model, False), mode='predict')
    assert len(results) == 2
    for result in results:
        assert result.pred_instances.bboxes.ndim == 2
        assert result.pred_instances.bboxes.shape[1] == 4
        assert all(0 <= c < NUM_CLASSES for c in result.pred_instances.labels)


def test_rcnn_gradients_reach_the_rpn_trunk_through_sam(model):
    """The R-CNN's losses alone train the RPN's trunk (F_RPN feeds SAM), not the
    RPN's own classification / regression convs."""
    model.train()
    model.zero_grad()
    losses = model(**inputs(model, True), mode='loss')
    (losses['loss_cls'] + losses['loss_bbox']).backward()
    trunk = model.neck.rpn_conv
    for conv in (trunk.depthwise.conv, trunk.pointwise.conv):
        assert conv.weight.grad is not None and conv.weight.grad.abs().sum() > 0
    assert model.neck.sam.conv.conv.weight.grad.abs().sum() > 0
    for conv in (model.rpn_head.rpn_cls, model.rpn_head.rpn_reg):
        assert conv.weight.grad is None or not conv.weight.grad.any()


def test_official_two_fc_head_is_one_switch():
    model = build(num_shared_fcs=2)
    assert [fc.out_features for fc in model.roi_head.bbox_head.shared_fcs] == \
        [1024, 1024]


def test_needs_a_neck():
    cfg = Config.fromfile(CONFIG)
    cfg.model.backbone.init_cfg = None
    cfg.model.pop('neck')
    with pytest.raises(ValueError, match='ThunderNet needs a neck'):
        MODELS.build(cfg.model)


def test_multiply_adds_per_part_at_320(model):
    """Backbone as counted alone; the rest from the layer sizes: CEM, the RPN
    trunk, SAM and the RPN's 1x1 convs on the 20x20 map; 200 RoIs through the
    1024-d FC and the class / box layers."""
    counts = detector_multiply_adds(model, image_size=320, num_rois=200, depth=2)
    cells, glob = 20 * 20, 1
    assert counts['neck.cem'] == (cells * 264 + (10 * 10 + glob) * 528) * 245
    assert counts['neck.rpn_conv'] == cells * (25 * 245 + 245 * 256)
    assert counts['neck.sam'] == cells * 256 * 245
    assert counts['rpn_head.rpn_cls'] == cells * 256 * 25
    assert counts['rpn_head.rpn_reg'] == cells * 256 * 100
    assert counts['roi_head.bbox_head'] == 200 * (
        245 * 1024 + 1024 * (NUM_CLASSES + 1) + 1024 * 4 * NUM_CLASSES)
    backbone = sum(v for k, v in counts.items() if k.startswith('backbone.'))
    assert backbone == count_multiply_adds(model.backbone, (1, 3, 320, 320))
    assert counts['total'] == sum(v for k, v in counts.items() if k != 'total')
    by_part = detector_multiply_adds(model, image_size=320, num_rois=200)
    assert list(by_part) == ['backbone', 'neck', 'rpn_head', 'roi_head', 'total']
    assert by_part['total'] == counts['total']
    with pytest.raises(ValueError, match='num_rois'):
        detector_multiply_adds(model, num_rois=0)
