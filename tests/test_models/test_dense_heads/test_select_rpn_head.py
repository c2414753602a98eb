import pytest
import torch

from shufflenet_backbones.models import SelectRPNHead

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
