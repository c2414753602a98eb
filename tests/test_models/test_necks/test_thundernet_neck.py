"""ThunderNetNeck: CEM -> light RPN trunk -> SAM, and its ONNX export together
with the max-mode PSRoIAlign that pools its output."""
import onnx
import onnxruntime as ort
import pytest
import torch
import torch.nn as nn

from shufflenet_backbones.models.necks import ThunderNetNeck
from shufflenet_backbones.ops import PSRoIAlign


def test_returns_f_sam_then_f_rpn_from_its_three_parts():
    neck = ThunderNetNeck(in_channels=(16, 32)).eval()
    c4, c5 = torch.rand(2, 16, 10, 12), torch.rand(2, 32, 5, 6)
    with torch.no_grad():
        f_sam, f_rpn = neck((c4, c5))
        f_cem, = neck.cem((c4, c5))
        assert f_sam.shape == (2, 245, 10, 12) and f_rpn.shape == (2, 256, 10, 12)
        torch.testing.assert_close(f_rpn, neck.rpn_conv(f_cem))
        torch.testing.assert_close(f_sam, neck.sam(f_cem, f_rpn))


def test_cem_keeps_xavier_and_trunk_has_the_configured_kernel():
    neck = ThunderNetNeck(in_channels=(16, 32), rpn_kernel_size=3)
    assert neck.cem.init_cfg['type'] == 'Xavier'
    assert neck.rpn_conv.depthwise.conv.kernel_size == (3, 3)


class _PooledNeck(nn.Module):
    """The test-time graph from C4 / C5 to the R-CNN's pooled RoI features."""

    def __init__(self, neck: ThunderNetNeck):
        super().__init__()
        self.neck = neck
        self.pool = PSRoIAlign(7, spatial_scale=1 / 16, sampling_ratio=2,
                               mode='max')

    def forward(self, c4, c5, rois):
        f_sam, f_rpn = self.neck((c4, c5))
        return f_rpn, self.pool(f_sam, rois)


def _inputs(batch, height, width, num_rois):
    c4 = torch.randn(batch, 16, height, width)
    c5 = torch.randn(batch, 32, (height + 1) // 2, (width + 1) // 2)
    size = torch.tensor([width, height]) * 16.
    xy1 = torch.rand(num_rois, 2) * size * 0.6
    xy2 = xy1 + torch.rand(num_rois, 2) * size * 0.4 + 8
    index = torch.randint(batch, (num_rois, 1)).float()
    return c4, c5, torch.cat([index, xy1, xy2], dim=1)


@pytest.mark.filterwarnings('ignore::torch.jit.TracerWarning')
@pytest.mark.filterwarnings('ignore:You are using the legacy TorchScript-based ONNX')
@pytest.mark.filterwarnings('ignore:The feature will be removed:DeprecationWarning')
def test_onnx_export_of_cem_sam_and_max_psroialign_matches_pytorch(
        randomise_bn, tmp_path):
    neck = randomise_bn(ThunderNetNeck(in_channels=(16, 32)))
    model = _PooledNeck(neck).eval()
    path = str(tmp_path / 'thundernet_neck.onnx')
    torch.onnx.export(
        model, _inputs(1, 10, 10, 6), path, dynamo=False, opset_version=17,
        input_names=['c4', 'c5', 'rois'], output_names=['f_rpn', 'pooled'],
        dynamic_axes={'c4': {0: 'n', 2: 'h', 3: 'w'},
                      'c5': {0: 'n', 2: 'h5', 3: 'w5'}, 'rois': {0: 'k'},
                      'f_rpn': {0: 'n', 2: 'h', 3: 'w'}, 'pooled': {0: 'k'}})
    graph = onnx.load(path)
    onnx.checker.check_model(graph, full_check=True)
    ops = {node.op_type for node in graph.graph.node}
    assert {node.domain for node in graph.graph.node} <= {'', 'ai.onnx'}
    assert {'Sigmoid', 'Mul', 'Resize', 'ReduceMax'} <= ops, ops

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=['CPUExecutionProvider'])
    for shape in ((1, 10, 10, 6), (2, 9, 13, 11)):  # odd sizes, more RoIs
        c4, c5, rois = _inputs(*shape)
        with torch.no_grad():
            expected = model(c4, c5, rois)
        got = session.run(None, {'c4': c4.numpy(), 'c5': c5.numpy(),
                                 'rois': rois.numpy()})
        for a, e in zip(got, expected):
            torch.testing.assert_close(torch.from_numpy(a), e, rtol=0,
                                       atol=1e-4 * e.abs().max().item())
