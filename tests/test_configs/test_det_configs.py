"""Every detection config builds, takes one training step and predicts."""
from pathlib import Path

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.testing import demo_mm_inputs
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope

import shufflenet_backbones  # noqa: F401

CONFIG_DIR = Path(__file__).parents[2] / 'configs'
DET_CONFIGS = sorted(CONFIG_DIR.glob('det/*.py'))


# What configs/det offers: Light-Head R-CNN for V1 and every V2 / V2* width, Faster
# R-CNN + FPN for the three families, Mask R-CNN for V2 / V2*, ThunderNet for the
# three SNets, the demos and the real-photo experiment. A config added or removed
# must be added here too, so that it is tested on purpose.
EXPECTED = {
    'lighthead_shufflenetv1.py', 'lighthead_shufflenetv2_shapes_demo.py',
    *(f'lighthead_shufflenetv2{star}{width}.py' for star in ('', 'star')
      for width in ('_0.5x', '', '_1.5x', '_2x')),
    *(f'faster_rcnn_fpn_shufflenetv{v}.py' for v in ('1', '2', '2star')),
    *(f'mask_rcnn_fpn_shufflenetv{v}.py' for v in ('2', '2star')),
    *(f'thundernet_snet{arch}_coco.py' for arch in (49, 146, 535)),
    'thundernet_snet146_shapes_demo.py',
    # the real-photo experiment: ours, and mmdet's Faster R-CNN + FPN on
    # mmpretrain's ShuffleNetV2 as its reference
    'lighthead_shufflenetv2_deepforest.py',
    'faster_rcnn_fpn_mmpretrain_shufflenetv2_deepforest.py',
}


def test_every_det_config_is_collected():
    assert {path.name for path in DET_CONFIGS} == EXPECTED


@pytest.mark.parametrize('path', DET_CONFIGS, ids=lambda p: p.name)
def test_config_trains_one_step_and_predicts(path):
    cfg = Config.fromfile(path)
    cfg.model.backbone.init_cfg = None  # no ImageNet weights on this machine
    num_classes = cfg.model.roi_head.bbox_head.num_classes
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(cfg.model)
        model.init_weights()
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    with_mask = 'mask_head' in cfg.model.roi_head
    # mmdet's demo_mm_inputs draws labels from 1 .. num_classes - 1, none for a
    # one-class model (the real-photo configs): draw from two, fold into range
    packed = demo_mm_inputs(2, [[3, 96, 128], [3, 128, 96]], num_items=[2, 1],
                            num_classes=max(num_classes, 2), with_mask=with_mask)
    for sample in packed['data_samples']:
        sample.gt_instances.labels %= num_classes
    model.train()
    data = model.data_preprocessor(packed, training=True)
    losses = model(**data, mode='loss')
    loss, log_vars = model.parse_losses(losses)
    assert torch.isfinite(loss)
    assert {'loss_rpn_cls', 'loss_cls', 'loss_bbox'} <= set(log_vars)
    assert ('loss_mask' in log_vars) == with_mask
    optim_wrapper.update_params(loss)

    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(packed, training=False)
        results = model(**data, mode='predict')
    assert len(results) == 2
    for result, sample in zip(results, packed['data_samples']):
        boxes = result.pred_instances.bboxes
        assert boxes.ndim == 2 and boxes.shape[1] == 4
        if with_mask:  # one full-image mask per box
            assert tuple(result.pred_instances.masks.shape[1:]) == tuple(
                sample.ori_shape)
        assert all(0 <= label < num_classes
                   for label in result.pred_instances.labels.tolist())
