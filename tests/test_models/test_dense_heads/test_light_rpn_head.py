import math

import pytest
import torch
from mmdet.testing import demo_mm_inputs
from mmengine.config import ConfigDict
from torch.nn.modules.batchnorm import _BatchNorm

from shufflenet_backbones.models.dense_heads import LightRPNConv, LightRPNHead

TRAIN_CFG = dict(
    assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.7, neg_iou_thr=0.3,
                  min_pos_iou=0.3, ignore_iof_thr=-1),
    sampler=dict(type='RandomSampler', num=256, pos_fraction=0.5, neg_pos_ub=-1,
                 add_gt_as_proposals=False),
    allowed_border=-1, pos_weight=-1, debug=False)


def test_25_anchors_of_the_paper():
    """Scales 32-512 px times height:width 1:2, 3:4, 1:1, 4:3, 2:1, at stride 16."""
    head = LightRPNHead()
    assert head.num_base_priors == 25
    assert head.prior_generator.strides == [(16, 16)]
    anchors = head.prior_generator.base_anchors[0]
    width = anchors[:, 2] - anchors[:, 0]
    height = anchors[:, 3] - anchors[:, 1]
    # rounded before sorting: float sizes 31.99999 and 32.00001 must not reorder
    found = sorted(zip([round(s, 3) for s in torch.sqrt(width * height).tolist()],
                       [round(r, 4) for r in (height / width).tolist()]))
    expected = sorted((s, r) for s in (32, 64, 128, 256, 512)
                      for r in (1 / 2, 3 / 4, 1, 4 / 3, 2))
    for (size, ratio), (size_e, ratio_e) in zip(found, expected):
        assert math.isclose(size, size_e, rel_tol=1e-4)
        assert math.isclose(ratio, ratio_e, rel_tol=1e-4)


def test_only_1x1_cls_and_reg_convs_read_f_rpn():
    head = LightRPNHead(in_channels=8)
    convs = [m for m in head.modules() if isinstance(m, torch.nn.Conv2d)]
    assert convs == [head.rpn_cls, head.rpn_reg]
    assert {c.kernel_size for c in convs} == {(1, 1)}
    f_sam, f_rpn = torch.rand(2, 245, 5, 6), torch.randn(2, 8, 5, 6)
    scores, deltas = head((f_sam, f_rpn))
    assert scores[0].shape == (2, 25, 5, 6)  # sigmoid: one score per anchor
    assert deltas[0].shape == (2, 100, 5, 6)
    torch.testing.assert_close(scores[0], head.rpn_cls(f_rpn))


def test_losses_and_proposals_come_from_mmdet_rpn():
    head = LightRPNHead(in_channels=8, train_cfg=TRAIN_CFG)
    packed = demo_mm_inputs(1, [[3, 96, 128]], num_items=[2], num_classes=3)
    samples = packed['data_samples']
    for sample in samples:  # the detector gives the RPN class-agnostic labels
        sample.gt_instances.labels[:] = 0
        sample.set_metainfo(dict(pad_shape=sample.img_shape))
    f_rpn = torch.rand(1, 8, 6, 8)
    losses, proposals = head.loss_and_predict(
        (torch.rand(1, 245, 6, 8), f_rpn), samples,
        proposal_cfg=ConfigDict(nms_pre=100, max_per_img=20,
                                nms=dict(type='nms', iou_threshold=0.7),
                                min_bbox_size=0))
    assert set(losses) == {'loss_rpn_cls', 'loss_rpn_bbox'}
    assert torch.isfinite(sum(losses['loss_rpn_cls']))
    assert len(proposals) == 1 and proposals[0].bboxes.shape[1] == 4
    assert len(proposals[0]) <= 20


def test_trunk_is_5x5_depthwise_then_1x1_to_256_each_with_bn_and_relu():
    trunk = LightRPNConv(in_channels=245)
    dw, pw = trunk.depthwise.conv, trunk.pointwise.conv
    assert (dw.kernel_size, dw.groups, dw.out_channels) == ((5, 5), 245, 245)
    assert (pw.kernel_size, pw.out_channels) == ((1, 1), 256)
    assert all(isinstance(m.bn, _BatchNorm) and m.with_activation
               for m in (trunk.depthwise, trunk.pointwise))
    out = trunk(torch.randn(2, 245, 7, 9))
    assert out.shape == (2, 256, 7, 9) and out.min() >= 0


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match='feat_channels'):
        LightRPNHead(in_channels=8, feat_channels=16)
    with pytest.raises(ValueError, match='kernel_size'):
        LightRPNConv(in_channels=8, kernel_size=4)
