"""Both of torch's ONNX exporters write the deployment graphs, and onnxruntime gives
the same outputs for both files: the TorchScript exporter (``dynamo=False``, the
default of ``tools/deploy/export.py``), deprecated since torch 2.9, and the
torch.export-based one (``dynamo=True``, ``--exporter dynamo``) that replaces it.

A classifier (through the command line), a segmenter and Light-Head R-CNN, each
exported once per exporter with free batch and size (the default), at small
sizes: the torch.export-based exporter takes most of this file's time.
"""
import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from mmengine.config import Config

from shufflenet_backbones.toolkit.deploy.export import (DYNAMO_OPSET,
                                                        EXPORTERS, ExportError,
                                                        export_model)
from shufflenet_backbones.toolkit.deploy.graph_ops import INVALID_SCORE

pytestmark = [
    pytest.mark.filterwarnings('ignore::torch.jit.TracerWarning'),
    pytest.mark.filterwarnings('ignore::DeprecationWarning'),
    pytest.mark.filterwarnings('ignore::UserWarning'),
    pytest.mark.filterwarnings('ignore::FutureWarning'),
]

CLS = 'cls/shufflenetv2_imagenet.py'
SEG = 'seg/fcn_shufflenetv2_shapes_demo.py'
DET = 'det/lighthead_shufflenetv2_shapes_demo.py'
# export size; the files are also run at another size and batch
SIZES = {CLS: (64, 64), SEG: (96, 128), DET: (96, 128)}


def sessions(files):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # 2 cores shared with other jobs
    return {exporter: ort.InferenceSession(path, options,
                                           providers=['CPUExecutionProvider'])
            for exporter, path in files.items()}


def run_both(files, feeds):
    """Each exporter's outputs for ``feeds``."""
    return {exporter: session.run(None, feeds)
            for exporter, session in sessions(files).items()}


def export_both(model, repo_root, tmp, config):
    cfg = Config.fromfile(repo_root / 'configs' / config)
    files = {}
    for exporter in EXPORTERS:
        files[exporter] = str(tmp / f'{exporter}.onnx')
        export_model(cfg, model, files[exporter], shape=SIZES[config], dynamic=True,
                     exporter=exporter)
    return files


@pytest.fixture(scope='module')
def classifier_files(tmp_path_factory, build_random_model, run_tool):
    """The classifier's two files, written by tools/deploy/export.py."""
    tmp = tmp_path_factory.mktemp('cls')
    checkpoint = tmp / 'cls.pth'
    torch.save(dict(state_dict=build_random_model(CLS).state_dict()), checkpoint)
    files = {}
    for exporter in EXPORTERS:
        files[exporter] = str(tmp / f'{exporter}.onnx')
        result = run_tool('tools/deploy/export.py', f'configs/{CLS}', checkpoint,
                          files[exporter], '--shape', *SIZES[CLS], '--dynamic',
                          '--exporter', exporter)
        assert result.returncode == 0, result.stderr[-3000:]
        assert f'{exporter} exporter' in result.stdout
    return files


@pytest.fixture(scope='module')
def segmenter_files(tmp_path_factory, build_random_model, repo_root):
    segmentor = build_random_model(SEG)
    with torch.no_grad():
        # the head's init gives every pixel the same class: spread the logits
        segmentor.decode_head.conv_seg.weight.normal_(0, 1)
    return export_both(segmentor, repo_root, tmp_path_factory.mktemp('seg'), SEG)


@pytest.fixture(scope='module')
def detector_files(tmp_path_factory, build_random_model, repo_root):
    return export_both(build_random_model(DET), repo_root,
                       tmp_path_factory.mktemp('det'), DET)


@pytest.mark.parametrize('family', ['classifier', 'segmenter', 'detector'])
def test_dynamo_graph_has_standard_ops_only(request, family):
    """Stock runtimes need nothing else: no custom domain, no local functions
    (which would name one), and the custom NMS op translated to ONNX's."""
    path = request.getfixturevalue(f'{family}_files')['dynamo']
    model = onnx.load(path)
    assert {(o.domain, o.version) for o in model.opset_import} == {
        ('', DYNAMO_OPSET)}
    assert not model.functions
    assert {node.domain for node in model.graph.node} == {''}
    if family == 'detector':
        assert 'NonMaxSuppression' in {node.op_type for node in model.graph.node}


def random_images(batch, size):
    return torch.randint(0, 256, (batch, 3, *size)).float().numpy()


def other_size(config):
    height, width = SIZES[config]
    return height + 20, width - 12  # not a multiple of 32: padded in the graph


def test_classifier_outputs_agree(classifier_files):
    for batch, size in ((1, SIZES[CLS]), (3, other_size(CLS))):
        outputs = run_both(classifier_files, dict(images=random_images(batch, size)))
        np.testing.assert_allclose(outputs['dynamo'][0], outputs['torchscript'][0],
                                   rtol=0, atol=1e-6)


def test_segmenter_outputs_agree(segmenter_files):
    for batch, size in ((1, SIZES[SEG]), (2, other_size(SEG))):
        outputs = run_both(segmenter_files, dict(images=random_images(batch, size)))
        (labels, logits), (expected_labels, expected_logits) = (
            outputs['dynamo'], outputs['torchscript'])
        assert labels.shape == (batch, *size)
        assert len(np.unique(expected_labels)) > 1  # a map worth comparing
        # an arg-max of float logits: a pixel whose two best classes tie within
        # rounding may flip; essentially all must agree
        assert (labels == expected_labels).mean() > 0.999
        scale = np.abs(expected_logits).max()
        np.testing.assert_allclose(logits, expected_logits, rtol=0,
                                   atol=1e-5 * scale)


def test_detector_detections_agree(detector_files, assert_same_detections):
    """Same detections: each TorchScript-file detection has one in the dynamo
    file with the same label, its box within 1e-3 px and its score within 1e-4,
    at the export size and at another size, batch 2, with padding."""
    height, width = other_size(DET)
    for size, img_shapes in ((SIZES[DET], [SIZES[DET]]),
                             ((height, width), [(height, width),
                                                (height - 8, width - 16)])):
        outputs = run_both(detector_files, dict(
            images=random_images(len(img_shapes), size),
            img_shapes=np.array(img_shapes, dtype=np.int64)))
        (dets, labels), (expected_dets, expected_labels) = (
            outputs['dynamo'], outputs['torchscript'])
        for i in range(len(img_shapes)):
            filled = expected_dets[i, :, 4] > INVALID_SCORE
            assert filled.sum() > 10  # something to compare
            expected = type('Expected', (), dict(
                bboxes=torch.from_numpy(expected_dets[i, filled, :4]),
                scores=torch.from_numpy(expected_dets[i, filled, 4]),
                labels=torch.from_numpy(expected_labels[i, filled])))
            assert_same_detections(expected, dets[i], labels[i], image_size=1)


def test_unknown_exporter_is_refused(build_random_model, repo_root, tmp_path):
    cfg = Config.fromfile(repo_root / 'configs' / CLS)
    with pytest.raises(ExportError, match="exporter 'jit': one of torchscript, "
                                          'dynamo'):
        export_model(cfg, build_random_model(CLS), str(tmp_path / 'cls.onnx'),
                     exporter='jit')
