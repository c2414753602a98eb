"""The exported segmenters and classifiers predict what mmseg and mmpretrain
predict, in eager PyTorch and in onnxruntime (dynamic batch and size)."""
import onnxruntime as ort
import pytest
import torch
from mmengine.config import Config
from mmpretrain.structures import DataSample
from mmseg.structures import SegDataSample

from shufflenet_backbones.toolkit.deploy.backend_model import BackendModel
from shufflenet_backbones.toolkit.deploy.dense_graphs import (ClassifierGraph,
                                                              SegmentorGraph)
from shufflenet_backbones.toolkit.deploy.export import export_model

pytestmark = [
    pytest.mark.filterwarnings('ignore::torch.jit.TracerWarning'),
    pytest.mark.filterwarnings('ignore::DeprecationWarning'),
    pytest.mark.filterwarnings('ignore::UserWarning'),
]

SEGMENTERS = ['seg/fcn_shufflenetv2_shapes_demo.py',
              'seg/deeplabv3plus_shufflenetv2_os8_cocostuff164k.py']
CLASSIFIERS = ['cls/shufflenetv2_imagenet.py', 'cls/snet146_imagenet.py']


def export(graph, path, example):
    if isinstance(graph, SegmentorGraph):
        outputs = dict(labels={0: 'n', 1: 'h', 2: 'w'},
                       logits={0: 'n', 2: 'fh', 3: 'fw'})
    else:
        outputs = dict(scores={0: 'n'})
    torch.onnx.export(graph, (example, ), path, dynamo=False, opset_version=17,
                      input_names=['images'], output_names=list(outputs),
                      dynamic_axes=dict(images={0: 'n', 2: 'h', 3: 'w'}, **outputs))
    return ort.InferenceSession(path, providers=['CPUExecutionProvider'])


def mmseg_predict(segmentor, images, img_shape, ori_shape):
    samples = [SegDataSample(metainfo=dict(img_shape=img_shape, ori_shape=ori_shape,
                                           pad_shape=img_shape)) for _ in images]
    with torch.no_grad():
        data = segmentor.data_preprocessor(dict(inputs=list(images),
                                                data_samples=samples))
        return segmentor.predict(data['inputs'], data['data_samples'])


@pytest.mark.parametrize('config', SEGMENTERS)
def test_segmenter_matches_mmseg(build_random_model, config, tmp_path):
    segmentor = build_random_model(config, **{
        'backbone.norm_cfg': dict(type='BN'), 'decode_head.norm_cfg': dict(type='BN')
    } if 'cocostuff' in config else {})
    graph = SegmentorGraph(segmentor)
    images = torch.randint(0, 256, (2, 3, 96, 128)).float()
    expected = torch.stack([s.pred_sem_seg.data[0] for s in mmseg_predict(
        segmentor, images, (96, 128), (96, 128))])
    with torch.no_grad():
        labels, logits = graph(images)
    assert len(expected.unique()) > 1  # a map worth comparing
    assert torch.equal(labels, expected)
    assert logits.shape[:2] == (2, segmentor.decode_head.out_channels)

    session = export(graph, str(tmp_path / 'seg.onnx'), images)
    for shape in ((2, 3, 96, 128), (1, 3, 80, 112)):
        images = torch.randint(0, 256, shape).float()
        with torch.no_grad():
            eager_labels, eager_logits = graph(images)
        labels, logits = session.run(None, dict(images=images.numpy()))
        # arg-max of float logits: a pixel whose two best classes tie within
        # rounding may flip; essentially all must agree
        agree = (torch.from_numpy(labels) == eager_labels).float().mean()
        assert agree > 0.999, agree
        # float rounding through a deep random network: relative to the range
        scale = eager_logits.abs().max().item()
        torch.testing.assert_close(torch.from_numpy(logits), eager_logits,
                                   rtol=0, atol=1e-4 * scale)


def test_resized_segmentation_is_mmseg_s(build_random_model, repo_root, tmp_path):
    """Where the test pipeline resized the image, mmseg resizes the logits back
    to the original size before the arg-max: BackendModel does it from the
    exported logits, and gets mmseg's label map (a label map resized back would
    differ along every class border)."""
    config = SEGMENTERS[0]
    segmentor = build_random_model(config)
    cfg = Config.fromfile(repo_root / 'configs' / config)
    export_model(cfg, segmentor, str(tmp_path / 'seg.onnx'), dynamic=True)
    model = BackendModel(str(tmp_path / 'seg.onnx'))
    images = torch.randint(0, 256, (2, 3, 96, 128)).float()
    ori_shape = (150, 200)  # the originals, before a 0.64x resize
    expected = mmseg_predict(segmentor, images, (96, 128), ori_shape)
    samples = [SegDataSample(metainfo=dict(img_shape=(96, 128), ori_shape=ori_shape))
               for _ in images]
    got = model(list(images), samples)
    for want, have in zip(expected, got):
        assert have.pred_sem_seg.data.shape == (1, *ori_shape)
        agree = (have.pred_sem_seg.data == want.pred_sem_seg.data).float().mean()
        assert agree > 0.999, agree
        torch.testing.assert_close(have.seg_logits.data, want.seg_logits.data,
                                   rtol=1e-4, atol=1e-4)


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
