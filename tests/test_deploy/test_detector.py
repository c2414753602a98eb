"""The exported detectors give mmdet's detections: the traceable graph in eager
PyTorch, and the ONNX file in onnxruntime (dynamic batch, height and width)."""
import onnx
import onnxruntime as ort
import pytest
import torch
from mmdet.structures import DetDataSample

from shufflenet_backbones.deploy.detector import (DetectorGraph,
                                                  UnsupportedModelError)
from shufflenet_backbones.deploy.graph_ops import INVALID_SCORE

# the exporter warns about Python values frozen into the graph (right: channel
# counts and configured sizes never change) and that it is deprecated
pytestmark = [
    pytest.mark.filterwarnings('ignore::torch.jit.TracerWarning'),
    pytest.mark.filterwarnings('ignore::DeprecationWarning'),
    pytest.mark.filterwarnings('ignore::UserWarning'),
]

# (config, model overrides, export size): Light-Head R-CNN with both PSRoIAlign
# modes, Faster R-CNN + FPN (multi-level RPN, per-level RoIAlign), ThunderNet
DETECTORS = {
    'lighthead_avg': ('det/lighthead_shufflenetv2_shapes_demo.py', {}, (128, 128)),
    'lighthead_max': ('det/lighthead_shufflenetv2_shapes_demo.py', {
        'roi_head.bbox_roi_extractor.roi_layer.mode': 'max'
    }, (128, 128)),
    'faster_rcnn_fpn': ('det/faster_rcnn_fpn_shufflenetv2.py', {}, (192, 224)),
    # CEM, light RPN and SAM; soft-NMS, the paper's test-time choice, has no
    # standard ONNX op
    'thundernet': ('det/thundernet_snet146_shapes_demo.py', {
        'test_cfg.rcnn.nms.type': 'nms'
    }, (128, 128)),
}


def mmdet_predict(detector, images, img_shapes):
    """mmdet's own predictions for images laid top-left into ``images``."""
    samples, inputs = [], []
    for image, (h, w) in zip(images, img_shapes.tolist()):
        samples.append(DetDataSample(metainfo=dict(
            img_shape=(h, w), ori_shape=(h, w), scale_factor=(1.0, 1.0))))
        inputs.append(image[:, :h, :w])
    with torch.no_grad():
        data = detector.data_preprocessor(dict(inputs=inputs, data_samples=samples))
        return [s.pred_instances for s in detector.predict(
            data['inputs'], data['data_samples'])]


def random_batch(size, img_shapes):
    images = torch.randint(0, 256, (len(img_shapes), 3, *size)).float()
    return images, torch.tensor(img_shapes)


@pytest.mark.parametrize('name', sorted(DETECTORS))
def test_graph_matches_mmdet(build_random_model, assert_same_detections, name):
    config, overrides, (h, w) = DETECTORS[name]
    detector = build_random_model(config, **overrides)
    # two images of other sizes in one batch: padding and clipping per image (a
    # few pixels: in wide padding many anchors score exactly alike, and which of
    # them make the nms_pre cut is arbitrary)
    images, img_shapes = random_batch((h, w), [[h, w], [h - 8, w - 12]])
    with torch.no_grad():
        dets, labels = DetectorGraph(detector)(images, img_shapes)
    expected = mmdet_predict(detector, images, img_shapes)
    assert len(expected[0].scores) > 10  # something to compare
    for i in range(len(expected)):
        assert_same_detections(expected[i], dets[i], labels[i], max(h, w))


@pytest.mark.parametrize('name', sorted(DETECTORS))
def test_onnxruntime_matches_pytorch(build_random_model, assert_same_detections, name,
                                     tmp_path):
    config, overrides, (h, w) = DETECTORS[name]
    detector = build_random_model(config, **overrides)
    graph = DetectorGraph(detector)
    path = str(tmp_path / 'detector.onnx')
    images, img_shapes = random_batch((h, w), [[h, w]])
    torch.onnx.export(graph, (images, img_shapes), path, dynamo=False,
                      opset_version=17, input_names=['images', 'img_shapes'],
                      output_names=['dets', 'labels'],
                      dynamic_axes=dict(images={0: 'n', 2: 'h', 3: 'w'},
                                        img_shapes={0: 'n'}, dets={0: 'n'},
                                        labels={0: 'n'}))
    model = onnx.load(path)
    # standard ops only: stock runtimes need nothing else
    assert {o.domain for o in model.opset_import} == {''}
    assert 'NonMaxSuppression' in {n.op_type for n in model.graph.node}
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    # the export size, then another batch and size through the same graph
    # The export size is a multiple of 32; the other is not, so the graph must
    # pad it (to 32) as the data preprocessor does. Faster R-CNN's five RPN
    # levels over random weights leave many exactly tied scores in the padding,
    # whose order at the nms_pre cut differs between the two top-k kernels: it
    # takes another multiple of 32 (its padding logic is the same code).
    other = (h + 32, w - 32) if name == 'faster_rcnn_fpn' else (h + 20, w - 12)
    for size, shapes in (((h, w), [[h, w]]),
                         (other, [list(other), [other[0] - 8, other[1] - 8]])):
        images, img_shapes = random_batch(size, shapes)
        with torch.no_grad():
            expected = graph(images, img_shapes)
        dets, labels = session.run(None, dict(images=images.numpy(),
                                              img_shapes=img_shapes.numpy()))
        for i in range(len(shapes)):
            filled = expected[0][i, :, 4] > INVALID_SCORE
            reference = type('Expected', (), dict(
                bboxes=expected[0][i, filled, :4], scores=expected[0][i, filled, 4],
                labels=expected[1][i, filled]))
            assert_same_detections(reference, dets[i], labels[i], max(size))


def test_unsupported_parts_are_named(build_random_model):
    detector = build_random_model('det/lighthead_shufflenetv2_shapes_demo.py')
    detector.test_cfg.rcnn.nms = dict(type='soft_nms', iou_threshold=0.5)
    with pytest.raises(UnsupportedModelError, match=r'test_cfg\.rcnn\.nms\.type'):
        DetectorGraph(detector)
    detector = build_random_model('det/lighthead_shufflenetv2_shapes_demo.py')
    detector.rpn_head.bbox_coder.clip_border = False
    with pytest.raises(UnsupportedModelError,
                       match=r'model\.rpn_head\.bbox_coder\.clip_border=False'):
        DetectorGraph(detector)


def test_no_proposal_no_detection(build_random_model):
    """Every proposal smaller than min_bbox_size: mmdet returns nothing, and so
    must the graph (all slots empty), not boxes from empty slots."""
    detector = build_random_model('det/lighthead_shufflenetv2_shapes_demo.py',
                                  **{'test_cfg.rpn.min_bbox_size': 1000})
    images, img_shapes = random_batch((128, 128), [[128, 128]])
    with torch.no_grad():
        dets, _ = DetectorGraph(detector)(images, img_shapes)
    assert len(mmdet_predict(detector, images, img_shapes)[0].scores) == 0
    assert (dets[..., 4] == INVALID_SCORE).all()
