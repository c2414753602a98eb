"""ops/early_stop_nms.py (nms_top_k): the first k boxes mmcv's NMS keeps, box
for box and in its order, on proposals like a random-weight and a trained RPN's,
with and without tied scores, for every k from one box to more than NMS keeps;
and the refusal of inputs it cannot reproduce mmcv on."""
import pytest
import torch
from mmcv.ops import nms

from shufflenet_backbones.ops import early_stop_nms, nms_top_k


@pytest.mark.parametrize('k', [1, 300, 1000, 6000])
def test_first_k_kept_boxes_are_mmcvs(rpn_proposals, proposal_kind, k):
    boxes, scores = rpn_proposals(6000, proposal_kind)
    expected = nms(boxes, scores, 0.7)[1][:k]
    assert torch.equal(nms_top_k(boxes, scores, 0.7, k), expected)


@pytest.mark.parametrize('offset', [0, 1])
def test_offset_is_mmcvs(rpn_proposals, offset):
    boxes, scores = rpn_proposals(2000, 'clustered, tied')
    expected = nms(boxes, scores, 0.5, offset=offset)[1][:200]
    assert torch.equal(nms_top_k(boxes, scores, 0.5, 200, offset=offset), expected)


@pytest.mark.parametrize('iou_threshold', [0.5, 0.7])
def test_ious_on_the_threshold_are_mmcvs(iou_threshold):
    # small integer boxes: many IoUs exactly at the threshold (e.g. 7 / 10), where
    # only mmcv's own float arithmetic gives mmcv's answer
    corners = torch.randint(0, 12, (3000, 2)).float()
    boxes = torch.cat([corners, corners + torch.randint(1, 6, (3000, 2))], dim=1)
    scores = torch.randint(0, 8, (3000, )).float()
    expected = nms(boxes, scores, iou_threshold)[1]
    assert torch.equal(nms_top_k(boxes, scores, iou_threshold, len(boxes)), expected)


def test_stops_before_the_end_of_the_order(rpn_proposals, monkeypatch):
    # the point of the op: mmcv's NMS runs block by block on far fewer than all
    # boxes
    sizes = []

    def counted(boxes, *args, **kwargs):
        sizes.append(len(boxes))
        return nms(boxes, *args, **kwargs)

    monkeypatch.setattr(early_stop_nms, 'nms', counted)
    boxes, scores = rpn_proposals(6000, 'spread')
    nms_top_k(boxes, scores, 0.7, 1000)
    assert max(sizes) <= early_stop_nms.BLOCK and sum(sizes) < 2000


def test_no_boxes():
    assert nms_top_k(torch.zeros(0, 4), torch.zeros(0), 0.7, 10).shape == (0, )


@pytest.mark.parametrize('boxes, message', [
    (torch.zeros(3, 4, dtype=torch.float64), 'float32 on the CPU'),
    (torch.zeros(3, 4, device='meta'), 'float32 on the CPU'),
])
def test_refuses_what_mmcvs_cpu_kernel_does_not_run(boxes, message):
    with pytest.raises(ValueError, match=message):
        nms_top_k(boxes, torch.zeros(3), 0.7, 1)


def test_refuses_k_below_one():
    with pytest.raises(ValueError, match='k must be positive, got 0'):
        nms_top_k(torch.zeros(3, 4), torch.zeros(3), 0.7, 0)
