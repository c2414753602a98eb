"""models/dense_heads/select_rpn_head.py: the head reads the neck outputs it is
told to, and its proposals are mmdet's RPNHead's box for box (the NMS stopped
early), alone and inside whole detectors."""
from unittest import mock

import pytest
import torch
from mmdet.models.dense_heads import RPNHead
from mmdet.registry import MODELS
from mmdet.testing import demo_mm_inputs
from mmengine.config import Config, ConfigDict
from mmengine.structures import InstanceData

from shufflenet_backbones.models import SelectRPNHead
from shufflenet_backbones.models.dense_heads import select_rpn_head
from shufflenet_backbones.ops import nms_top_k

ANCHORS = dict(type='AnchorGenerator', scales=[2, 4], ratios=[1.0], strides=[16])


def test_reads_only_the_selected_neck_output():
    head = SelectRPNHead(in_channels=8, feat_channels=4, in_indices=(1, ),
                         anchor_generator=ANCHORS)
    thin, c4 = torch.rand(1, 490, 4, 4), torch.rand(1, 8, 6, 6)
    cls_scores, bbox_preds = head((thin, c4))
    assert len(cls_scores) == 1 and cls_scores[0].shape == (1, 2, 6, 6)
    assert bbox_preds[0].shape == (1, 8, 6, 6)


def test_one_index_per_anchor_level():
    with pytest.raises(ValueError, match='one feature per anchor level'):
        SelectRPNHead(in_channels=8, in_indices=(1, 2), anchor_generator=ANCHORS)


# --- proposals: mmdet's RPNHead post-processing, box for box, the NMS stopped early

def _results(rpn_proposals, count, kind, levels=1):
    boxes, scores = rpn_proposals(count, kind)
    results = InstanceData(bboxes=boxes, scores=scores,
                           level_ids=torch.randint(0, levels, (count, )))
    results.bboxes[:5, 2:] = results.bboxes[:5, :2]  # empty boxes, min_bbox_size's
    return results


def _both(head, results, cfg, **kwargs):
    """(this head's proposals, mmdet's RPNHead's) from copies of ``results``."""
    ours = head._bbox_post_process(results.clone(), ConfigDict(cfg), **kwargs)
    mmdet = RPNHead._bbox_post_process(head, results.clone(), ConfigDict(cfg), **kwargs)
    return ours, mmdet


def _assert_same(ours, mmdet):
    assert set(ours.keys()) == set(mmdet.keys())
    for key in mmdet.keys():
        assert torch.equal(ours[key], mmdet[key]), key


TEST_CFG = dict(nms_pre=6000, max_per_img=1000, min_bbox_size=0,
                nms=dict(type='nms', iou_threshold=0.7))


@pytest.fixture
def counted_nms_top_k(monkeypatch):
    """The number of early-stopped NMS runs, so that a test knows it ran."""
    calls = []

    def counted(*args, **kwargs):
        calls.append(args)
        return nms_top_k(*args, **kwargs)

    monkeypatch.setattr(select_rpn_head, 'nms_top_k', counted)
    return calls


@pytest.mark.parametrize('levels', [1, 3])
@pytest.mark.parametrize('rescale', [False, True])
def test_proposals_are_mmdets(rpn_proposals, counted_nms_top_k, proposal_kind,
                              levels, rescale):
    head = SelectRPNHead(in_channels=8, anchor_generator=ANCHORS)
    results = _results(rpn_proposals, 6000, proposal_kind, levels)
    ours, mmdet = _both(head, results, TEST_CFG, rescale=rescale,
                        img_meta=dict(scale_factor=(1.6, 1.5)))
    assert len(counted_nms_top_k) == 1
    assert len(mmdet) == 1000
    _assert_same(ours, mmdet)


@pytest.mark.parametrize('count, cfg', [
    (12000, TEST_CFG),  # split_thr boxes or more: mmcv's NMS per level
    (3000, dict(TEST_CFG, nms=dict(type='soft_nms', iou_threshold=0.7))),
    (3000, dict(TEST_CFG, nms=dict(TEST_CFG['nms'], max_num=100))),
])
def test_mmdets_own_where_early_stopping_is_not_exact(rpn_proposals,
                                                      counted_nms_top_k, count, cfg):
    head = SelectRPNHead(in_channels=8, anchor_generator=ANCHORS)
    ours, mmdet = _both(head, _results(rpn_proposals, count, 'clustered, tied', 2),
                        cfg)
    assert counted_nms_top_k == []
    _assert_same(ours, mmdet)


def test_no_proposal_left_after_the_small_box_filter(counted_nms_top_k):
    head = SelectRPNHead(in_channels=8, anchor_generator=ANCHORS)
    results = InstanceData(bboxes=torch.zeros(4, 4), scores=torch.rand(4),
                           level_ids=torch.zeros(4, dtype=torch.long))
    ours, mmdet = _both(head, results, TEST_CFG)
    assert len(ours) == 0 and counted_nms_top_k == []
    _assert_same(ours, mmdet)


@pytest.mark.parametrize('config, image', [
    ('configs/det/lighthead_shufflenetv2.py', (3, 512, 640)),
    ('configs/det/thundernet_snet146_coco.py', (3, 320, 320)),
])
def test_detections_are_mmdets(repo_root, counted_nms_top_k, config, image):
    """A whole random-weight detector's detections, with this head's NMS and with
    mmdet's (the trained-weight check is the benchmark's: docs/performance.md)."""
    cfg = Config.fromfile(repo_root / config)
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model).eval()
    model.roi_head.test_cfg.score_thr = 0.0  # random weights: keep every box
    inputs = model.data_preprocessor(demo_mm_inputs(1, [list(image)]), training=False)
    with torch.no_grad():
        ours = model(**inputs, mode='predict')[0].pred_instances
        with mock.patch.object(SelectRPNHead, '_bbox_post_process',
                               RPNHead._bbox_post_process):
            mmdet = model(**inputs, mode='predict')[0].pred_instances
    assert len(counted_nms_top_k) == 1
    assert len(mmdet) == cfg.model.test_cfg.rcnn.max_per_img
    _assert_same(ours, mmdet)
