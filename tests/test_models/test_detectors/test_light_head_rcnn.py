"""Light-Head R-CNN (models/detectors/light_head_rcnn.py) as configs/det/
lighthead_shufflenetv2.py builds it through mmdet's registry: its parts and feature
maps, a training step's finite RPN and R-CNN losses, predictions inside the
image, the R-CNN's gradients reaching the thin-map neck, and the refusal of a
config without that neck."""
from pathlib import Path

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.testing import demo_mm_inputs
from mmengine.config import Config
from mmengine.registry import DefaultScope

import shufflenet_backbones  # noqa: F401  (registers LightHeadRCNN and its parts)
from shufflenet_backbones.models.detectors import LightHeadRCNN

CONFIG = Path(__file__).parents[3] / 'configs/det/lighthead_shufflenetv2.py'
SHAPES = [[3, 128, 160], [3, 96, 128]]  # (C, H, W) of the two demo images


def model_cfg():
    cfg = Config.fromfile(CONFIG)
    cfg.model.backbone.init_cfg = None  # no ImageNet weights here
    return cfg.model


@pytest.fixture(scope='module')
def model():
    # the module-scoped fixture runs outside the per-test scope of conftest.py
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(model_cfg())
    model.init_weights()
    return model


def inputs(model, training):
    packed = demo_mm_inputs(2, SHAPES, num_items=[3, 1], num_classes=80)
    return model.data_preprocessor(packed, training=training)


def test_thin_map_rpn_feature_and_light_rcnn(model):
    assert isinstance(model, LightHeadRCNN)
    model.eval()
    with torch.no_grad():
        thin, stage3, conv5 = model.extract_feat(torch.rand(1, 3, 128, 128))
    # 10 x 7 x 7 channels at stride 32 for PS RoI pooling; the RPN reads stage 3
    assert thin.shape == (1, 490, 4, 4)
    assert stage3.shape == (1, 232, 8, 8) and conv5.shape == (1, 1024, 4, 4)
    extractor = model.roi_head.bbox_roi_extractor
    assert extractor.roi_layers[0].output_size == (7, 7)
    assert extractor.featmap_strides == [32]
    assert [fc.out_features for fc in model.roi_head.bbox_head.shared_fcs] == [2048]


def test_loss_step_is_finite_for_rpn_and_rcnn(model):
    model.train()
    model.zero_grad()
    losses = model(**inputs(model, True), mode='loss')
    loss, log_vars = model.parse_losses(losses)
    assert torch.isfinite(loss) and loss > 0
    parts = ['loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls', 'loss_bbox']
    assert all(k in log_vars and torch.isfinite(torch.tensor(log_vars[k]))
               for k in parts), log_vars
    # the R-CNN's losses alone train the thin-map neck, not the RPN's own convs
    (losses['loss_cls'] + losses['loss_bbox']).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0
               for p in model.neck.parameters() if p.requires_grad)
    for conv in (model.rpn_head.rpn_cls, model.rpn_head.rpn_reg):
        assert conv.weight.grad is None or not conv.weight.grad.any()


def test_predict_gives_boxes_inside_the_image(model, monkeypatch):
    # random weights score every class about alike (1/81, under the configured
    # 0.05): keep every box, so that there are boxes to check
    monkeypatch.setitem(model.roi_head.test_cfg, 'score_thr', 0.0)
    model.eval()
    with torch.no_grad():
        results = model(**inputs(model, False), mode='predict')
    assert len(results) == len(SHAPES)
    for result, (_, height, width) in zip(results, SHAPES):
        boxes = result.pred_instances.bboxes
        assert boxes.shape == (100, 4)  # test_cfg.rcnn.max_per_img
        assert (boxes >= 0).all()
        assert (boxes[:, 0::2] <= width).all() and (boxes[:, 1::2] <= height).all()
        assert (boxes[:, 2:] >= boxes[:, :2]).all()
        labels = result.pred_instances.labels
        assert ((labels >= 0) & (labels < 80)).all()


def test_needs_a_neck():
    cfg = model_cfg()
    cfg.pop('neck')
    with pytest.raises(ValueError, match='LightHeadRCNN needs a neck that makes '
                                         'the thin feature map'):
        MODELS.build(cfg)
