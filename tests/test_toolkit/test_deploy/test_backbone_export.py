"""Deployment paths of every registered backbone: ONNX run by onnxruntime,
TorchScript tracing and ``torch.compile``, each checked against eager PyTorch.

ONNX uses the TorchScript-based exporter (``dynamo=False``), which torch 2.13 still
ships but warns is deprecated, and the project's default for whole models (see
``deploy/export.py``); it gives the graph dynamic batch / height / width axes.
The ``torch.export``-based exporter is tested on whole models in
``test_exporters.py``.
"""
import onnx
import onnxruntime as ort
import pytest
import torch

from shufflenet_backbones.models.backbones import BaseShuffleNet
from shufflenet_backbones.registry import MODELS

BACKBONES = sorted(name for name, cls in MODELS.module_dict.items()
                   if issubclass(cls, BaseShuffleNet))
SIZE = (128, 128)
# a second batch size and odd height / width, through the same exported graph
OTHER_SHAPE = (2, 3, 97, 161)
# channel_shuffle checks the channel count in Python; the tracer warns that the
# check is frozen into the graph, which is right: channels never change
IGNORE_TRACER_WARNING = pytest.mark.filterwarnings('ignore::torch.jit.TracerWarning')


@pytest.fixture(autouse=True, scope='module')
def _one_thread():
    """One intra-op thread: these small models gain little from more, and on a
    machine shared with other jobs (CI runners, parallel test workers) a second
    thread that is not scheduled stalls every op (4x the run time here)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def build_eval(randomise_bn):
    """``build_eval(name)``: ``name`` (V1: groups=3, its default) at width 1.0
    (SNet: its default arch, SNet146) with every output, in eval mode, its BN
    statistics those of one batch of random images (every output of order 1,
    each BN a non-trivial affine map)."""

    def build(name):
        every_index = tuple(
            f.index for f in MODELS.build(dict(type=name)).all_features)
        model = MODELS.build(dict(type=name, out_indices=every_index))
        return randomise_bn(model, batch_shape=(4, 3, *SIZE))

    return build


def assert_outputs_close(actual, expected, tol):
    """Every output within ``tol`` times its largest magnitude.

    Relative to the peak because float32 rounding grows with the values summed:
    with outputs peaking at 5-15, eager float32 itself is up to 3e-4 from float64,
    and onnxruntime's other kernels land as far again.
    """
    assert len(actual) == len(expected)
    for i, (a, e) in enumerate(zip(actual, expected)):
        torch.testing.assert_close(
            torch.as_tensor(a),
            e,
            rtol=0,
            atol=tol * e.abs().max().item(),
            msg=lambda m: f'output {i}: {m}')


def test_every_family_is_checked():
    assert BACKBONES == ['SNet', 'ShuffleNetV1', 'ShuffleNetV2', 'ShuffleNetV2Star']


@IGNORE_TRACER_WARNING
@pytest.mark.filterwarnings('ignore:You are using the legacy TorchScript-based ONNX')
@pytest.mark.filterwarnings('ignore:The feature will be removed:DeprecationWarning')
@pytest.mark.parametrize('name', BACKBONES)
def test_onnx_matches_pytorch(build_eval, name, tmp_path):
    model = build_eval(name)
    output_names = [f.name for f in model.feature_info]
    spatial = {0: 'batch', 2: 'height', 3: 'width'}
    path = str(tmp_path / f'{name}.onnx')
    torch.onnx.export(
        model, (torch.rand(1, 3, *SIZE), ),
        path,
        dynamo=False,
        opset_version=17,
        input_names=['input'],
        output_names=output_names,
        dynamic_axes={
            'input': spatial,
            **{n: {k: f'{n}_{v}'
                   for k, v in spatial.items()}
               for n in output_names}
        })
    onnx.checker.check_model(path, full_check=True)

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=['CPUExecutionProvider'])
    assert [o.name for o in session.get_outputs()] == output_names
    for shape in ((1, 3, *SIZE), OTHER_SHAPE):
        x = torch.rand(shape)
        with torch.no_grad():
            expected = model(x)
        assert_outputs_close(session.run(None, {'input': x.numpy()}), expected, 1e-4)


@IGNORE_TRACER_WARNING
# torch 2.13 marks TorchScript deprecated; it still works and still deploys (LibTorch)
@pytest.mark.filterwarnings('ignore:`torch.jit.:DeprecationWarning')
@pytest.mark.parametrize('name', BACKBONES)
def test_jit_trace_matches_pytorch_after_save_and_load(build_eval, name, tmp_path):
    model = build_eval(name)
    # check_trace would trace a second time; the outputs are compared below
    traced = torch.jit.trace(model, torch.rand(1, 3, *SIZE), check_trace=False)
    path = tmp_path / 'traced.pt'
    torch.jit.save(traced, str(path))
    loaded = torch.jit.load(str(path))
    for shape in ((1, 3, *SIZE), OTHER_SHAPE):
        x = torch.rand(shape)
        with torch.no_grad():
            expected = model(x)
            assert_outputs_close(traced(x), expected, 1e-5)
            assert_outputs_close(loaded(x), expected, 1e-5)


@pytest.mark.parametrize('name', BACKBONES)
def test_torch_compile_matches_pytorch(build_eval, name):
    """``fullgraph=True``: the whole forward is one graph, no breaks.

    ``aot_eager`` runs the same capture and AOT-autograd passes as the default
    inductor backend but not inductor's code generation, which compiles C++ on
    CPU and takes about a minute per variant.
    """
    model = build_eval(name)
    compiled = torch.compile(model, backend='aot_eager', fullgraph=True)
    x = torch.rand(1, 3, *SIZE)
    try:
        with torch.no_grad():
            assert_outputs_close(compiled(x), model(x), 1e-4)
    finally:
        torch.compiler.reset()  # drop the cached graphs of this model
