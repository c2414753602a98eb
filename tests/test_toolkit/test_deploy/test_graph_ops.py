"""The exported graphs' building blocks against their references: NMS against
torchvision's, PSRoIAlign as exported (onnxruntime) against the PyTorch op."""
import onnxruntime as ort
import pytest
import torch
from mmcv.ops import batched_nms as mmcv_batched_nms
from torchvision.ops import batched_nms

from shufflenet_backbones.ops import PSRoIAlign
from shufflenet_backbones.toolkit.deploy.graph_ops import (
    INVALID_SCORE, batched_nms_topk, grouped_soft_nms_topk)

pytestmark = pytest.mark.filterwarnings('ignore::torch.jit.TracerWarning')


def random_boxes(num_images, num_boxes, size=100.0):
    corner = torch.rand(num_images, num_boxes, 2) * size
    return torch.cat([corner, corner + torch.rand(num_images, num_boxes, 2) * size / 2
                      + 1], dim=-1)


class _NMSGraph(torch.nn.Module):

    def forward(self, boxes, scores, groups):
        return batched_nms_topk(boxes, scores, groups, 0.5, 0.3, 20)


def test_batched_nms_topk_matches_torchvision(tmp_path):
    boxes, scores = random_boxes(2, 60), torch.rand(2, 60)
    groups = torch.randint(0, 3, (2, 60))
    scores[1, :10] = INVALID_SCORE  # empty slots never come back
    path = str(tmp_path / 'nms.onnx')
    torch.onnx.export(_NMSGraph(), (boxes, scores, groups), path, dynamo=False,
                      opset_version=17, input_names=['b', 's', 'g'])
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    runtime_scores, runtime_index = session.run(
        None, dict(b=boxes.numpy(), s=scores.numpy(), g=groups.numpy()))
    eager_scores, eager_index = _NMSGraph()(boxes, scores, groups)
    for image in range(2):
        # the reference: per-group NMS of the boxes scoring above 0.3, best 20
        above = (scores[image] > 0.3).nonzero()[:, 0]
        keep = above[batched_nms(boxes[image, above], scores[image, above],
                                 groups[image, above], 0.5)][:20]
        for got_scores, got_index in ((eager_scores, eager_index),
                                      (torch.from_numpy(runtime_scores),
                                       torch.from_numpy(runtime_index))):
            filled = got_scores[image] > INVALID_SCORE
            assert torch.equal(got_index[image][filled], keep)
            assert torch.equal(got_scores[image][filled], scores[image, keep])


class _SoftNMSGraph(torch.nn.Module):

    def __init__(self, **soft_nms):
        super().__init__()
        self.soft_nms = soft_nms

    def forward(self, boxes, scores):
        return grouped_soft_nms_topk(boxes, scores, 0.3, 60, **self.soft_nms)


@pytest.mark.parametrize('method', ['linear', 'gaussian', 'naive'])
def test_grouped_soft_nms_topk_matches_mmcv(method, tmp_path):
    """mmcv's batched_nms with soft-NMS (what mmdet's multiclass_nms runs) keeps
    every box above min_score; the graph gives its 60 best (here: all, and empty
    slots), decayed scores and all, in PyTorch and in onnxruntime."""
    torch.manual_seed(0)
    # 2 groups of 40: clusters of overlapping boxes (jittered copies), as
    # detectors produce them, so that the decay reorders and drops boxes
    boxes = (random_boxes(2, 8)[:, :, None] + torch.randn(2, 8, 10, 4) * 4).reshape(
        2, 2, 40, 4)
    scores = torch.rand(2, 2, 40)
    scores[1, 0, :10] = INVALID_SCORE
    soft_nms = dict(iou_threshold=0.4, sigma=0.5, min_score=0.2, method=method)
    graph = _SoftNMSGraph(**soft_nms)
    path = str(tmp_path / 'soft_nms.onnx')
    torch.onnx.export(graph, (boxes, scores), path, dynamo=False, opset_version=17,
                      input_names=['b', 's'])
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    runtime = session.run(None, dict(b=boxes.numpy(), s=scores.numpy()))
    eager = graph(boxes, scores)
    groups = torch.arange(2).repeat_interleave(40)
    for image in range(2):
        flat_boxes, flat_scores = boxes[image].reshape(-1, 4), scores[image].reshape(-1)
        above = (flat_scores > 0.3).nonzero()[:, 0]
        dets, keep = mmcv_batched_nms(flat_boxes[above], flat_scores[above],
                                      groups[above], dict(type='soft_nms', **soft_nms))
        expected_scores, expected_index = dets[:60, 4], above[keep[:60]]
        assert 10 < len(expected_scores) < len(above)  # some dropped
        for got_scores, got_index in (eager, map(torch.from_numpy, runtime)):
            filled = got_scores[image] > INVALID_SCORE
            assert torch.equal(got_index[image][filled], expected_index)
            torch.testing.assert_close(got_scores[image][filled], expected_scores,
                                       rtol=0, atol=1e-6)


@pytest.mark.parametrize('mode', ['avg', 'max'])
def test_exported_ps_roi_align_equals_the_op(mode, tmp_path):
    layer = PSRoIAlign(7, spatial_scale=1 / 16, sampling_ratio=2, mode=mode)
    feats = torch.randn(2, 5 * 49, 12, 15)
    rois = torch.tensor([[0, 3.0, 5.0, 150.0, 120.0], [1, 40.0, 10.0, 90.0, 190.0],
                         [1, -20.0, -8.0, 30.0, 20.0]])
    path = str(tmp_path / 'ps.onnx')
    torch.onnx.export(layer, (feats, rois), path, dynamo=False, opset_version=17,
                      input_names=['x', 'rois'],
                      dynamic_axes=dict(x={0: 'n', 2: 'h', 3: 'w'}, rois={0: 'k'}))
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    for shape in ((2, 5 * 49, 12, 15), (2, 5 * 49, 9, 20)):
        feats = torch.randn(shape)
        # avg: torchvision's kernel in PyTorch, the gather path in the file
        expected = layer(feats, rois)
        got, = session.run(None, dict(x=feats.numpy(), rois=rois.numpy()))
        torch.testing.assert_close(torch.from_numpy(got), expected, rtol=0,
                                   atol=1e-5)
