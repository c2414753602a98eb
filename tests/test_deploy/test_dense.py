"""The exported segmenters and classifiers predict what mmseg and mmpretrain
predict, in eager PyTorch and in onnxruntime (dynamic batch and size)."""
import onnxruntime as ort
import pytest
import torch
from mmpretrain.structures import DataSample
from mmseg.structures import SegDataSample

from shufflenet_backbones.deploy.dense import ClassifierGraph, SegmentorGraph

pytestmark = [
    pytest.mark.filterwarnings('ignore::torch.jit.TracerWarning'),
    pytest.mark.filterwarnings('ignore::DeprecationWarning'),
    pytest.mark.filterwarnings('ignore::UserWarning'),
]

SEGMENTERS = ['seg/fcn_shufflenetv2_shapes_demo.py',
              'seg/deeplabv3plus_shufflenetv2_os8_cocostuff164k.py']
CLASSIFIERS = ['cls/shufflenetv2_imagenet.py', 'cls/snet146_imagenet.py']


def export(graph, path, example):
    output = 'labels' if isinstance(graph, SegmentorGraph) else 'scores'
    axes = {0: 'n', 1: 'h', 2: 'w'} if output == 'labels' else {0: 'n'}
    torch.onnx.export(graph, (example, ), path, dynamo=False, opset_version=17,
                      input_names=['images'], output_names=[output],
                      dynamic_axes=dict(images={0: 'n', 2: 'h', 3: 'w'},
                                        **{output: axes}))
    return ort.InferenceSession(path, providers=['CPUExecutionProvider'])


@pytest.mark.parametrize('config', SEGMENTERS)
def test_segmenter_matches_mmseg(build_random_model, config, tmp_path):
    segmentor = build_random_model(config, **{
        'backbone.norm_cfg': dict(type='BN'), 'decode_head.norm_cfg': dict(type='BN')
    } if 'cocostuff' in config else {})
    graph = SegmentorGraph(segmentor)
    images = torch.randint(0, 256, (2, 3, 96, 128)).float()
    samples = [SegDataSample(metainfo=dict(img_shape=(96, 128), ori_shape=(96, 128),
                                           pad_shape=(96, 128))) for _ in range(2)]
    with torch.no_grad():
        data = segmentor.data_preprocessor(dict(inputs=list(images),
                                                data_samples=samples))
        expected = torch.stack([s.pred_sem_seg.data[0] for s in segmentor.predict(
            data['inputs'], data['data_samples'])])
        labels = graph(images)
    assert len(expected.unique()) > 1  # a map worth comparing
    assert torch.equal(labels, expected)

    session = export(graph, str(tmp_path / 'seg.onnx'), images)
    for shape in ((2, 3, 96, 128), (1, 3, 80, 112)):
        images = torch.randint(0, 256, shape).float()
        with torch.no_grad():
            logits_labels = graph(images)
        labels, = session.run(None, dict(images=images.numpy()))
        # arg-max of float logits: a pixel whose two best classes tie within
        # rounding may flip; essentially all must agree
        agree = (torch.from_numpy(labels) == logits_labels).float().mean()
        assert agree > 0.999, agree


@pytest.mark.parametrize('config', CLASSIFIERS)
def test_classifier_matches_mmpretrain(build_random_model, config, tmp_path):
    classifier = build_random_model(config)
    graph = ClassifierGraph(classifier)
    images = torch.randint(0, 256, (2, 3, 224, 224)).float()
    with torch.no_grad():
        data = classifier.data_preprocessor(dict(
            inputs=list(images), data_samples=[DataSample(), DataSample()]))
        expected = torch.stack([s.pred_score for s in classifier.predict(
            data['inputs'], data['data_samples'])])
        scores = graph(images)
    torch.testing.assert_close(scores, expected, rtol=0, atol=1e-6)

    session = export(graph, str(tmp_path / 'cls.onnx'), images)
    for batch in (2, 3):
        images = torch.randint(0, 256, (batch, 3, 224, 224)).float()
        with torch.no_grad():
            expected = graph(images)
        scores, = session.run(None, dict(images=images.numpy()))
        torch.testing.assert_close(torch.from_numpy(scores), expected, rtol=0,
                                   atol=1e-4)
