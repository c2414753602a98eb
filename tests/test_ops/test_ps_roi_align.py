import importlib

import pytest
import torch
from torch.nn.modules.utils import _pair

from shufflenet_backbones.ops import PSRoIAlign, ps_roi_align
from shufflenet_backbones.ops.ps_roi_align import _ps_roi_align_pytorch

# the package's ``ps_roi_align`` attribute is the function, not the submodule
ps_roi_align_module = importlib.import_module('shufflenet_backbones.ops.ps_roi_align')


@pytest.fixture
def tv_ops():
    """torchvision's ops, the reference of avg mode. Only the tests that compare
    with them need torchvision: the pure-PyTorch path (what runs without it) and
    max mode are tested either way."""
    return pytest.importorskip('torchvision.ops')


# A 10 x 12 map (H x W) seen at spatial_scale 1 / 0.5 / 0.37: RoIs inside, partly
# outside, wholly outside (beyond the one-pixel margin), degenerate, inverted and
# covering the whole map, on both images of the batch.
ROIS = [
    [0, 1.0, 2.0, 9.0, 7.5],
    [1, 3.3, 0.2, 11.0, 9.9],
    [0, 2.0, 1.0, 30.0, 25.0],
    [1, -10.0, -5.0, 8.0, 9.0],
    [0, 100.0, 100.0, 140.0, 150.0],
    [1, -40.0, -30.0, -5.0, -3.0],
    [1, 5.0, 5.0, 5.0, 5.0],
    [0, 20.0, 15.0, 3.0, 2.0],
    [1, -20.0, -20.0, 200.0, 200.0],
]


def _inputs(output_size=(3, 2), out_channels=2, dtype=torch.float32):
    ph, pw = output_size
    feats = torch.randn(2, out_channels * ph * pw, 10, 12, dtype=dtype)
    rois = torch.tensor(ROIS, dtype=dtype)
    return feats.requires_grad_(), rois


def _bilinear_ref(img, y, x):
    """torchvision's bilinear rule on a nested list ``img[H][W]``, scalar code."""
    height, width = len(img), len(img[0])
    if y < -1 or y > height or x < -1 or x > width:
        return 0.0
    y, x = max(y, 0.0), max(x, 0.0)
    y_low, x_low = int(y), int(x)
    if y_low >= height - 1:
        y_low = y_high = height - 1
        y = float(y_low)
    else:
        y_high = y_low + 1
    if x_low >= width - 1:
        x_low = x_high = width - 1
        x = float(x_low)
    else:
        x_high = x_low + 1
    ly, lx = y - y_low, x - x_low
    hy, hx = 1 - ly, 1 - lx
    return (hy * hx * img[y_low][x_low] + hy * lx * img[y_low][x_high] +
            ly * hx * img[y_high][x_low] + ly * lx * img[y_high][x_high])


def _ps_roi_align_ref(feats, rois, output_size, spatial_scale, sampling_ratio, mode):
    """Explicit loops over RoIs, bins and sampling points."""
    ph, pw = output_size
    out_channels = feats.size(1) // (ph * pw)
    data = feats.detach().double().tolist()
    offset = 0.5 if mode == 'avg' else 0.0
    out = torch.zeros(len(rois), out_channels, ph, pw, dtype=torch.float64)
    for k, (b, x1, y1, x2, y2) in enumerate(rois.tolist()):
        x1, y1 = x1 * spatial_scale - offset, y1 * spatial_scale - offset
        x2, y2 = x2 * spatial_scale - offset, y2 * spatial_scale - offset
        bin_h, bin_w = (y2 - y1) / ph, (x2 - x1) / pw
        for c in range(out_channels):
            for i in range(ph):
                for j in range(pw):
                    img = data[int(b)][(c * ph + i) * pw + j]
                    # the centres of sampling_ratio equal parts of the bin
                    ys = [
                        y1 + (i + (a + 0.5) / sampling_ratio) * bin_h
                        for a in range(sampling_ratio)
                    ]
                    xs = [
                        x1 + (j + (e + 0.5) / sampling_ratio) * bin_w
                        for e in range(sampling_ratio)
                    ]
                    vals = [_bilinear_ref(img, y, x) for y in ys for x in xs]
                    out[k, c, i, j] = (
                        max(vals) if mode == 'max' else sum(vals) / len(vals))
    return out


@pytest.mark.parametrize('spatial_scale', [1.0, 0.5, 0.37])
@pytest.mark.parametrize('sampling_ratio', [1, 2, 3])
@pytest.mark.parametrize('output_size', [(3, 2), 2])
def test_pytorch_avg_matches_torchvision(tv_ops, spatial_scale, sampling_ratio,
                                         output_size):
    feats, rois = _inputs(_pair(output_size))
    out = _ps_roi_align_pytorch(feats, rois, output_size, spatial_scale, sampling_ratio)
    expected = tv_ops.ps_roi_align(feats, rois, output_size, spatial_scale,
                                   sampling_ratio)
    assert out.shape == expected.shape
    torch.testing.assert_close(out, expected, rtol=0, atol=1e-5)

    grad_out = torch.randn_like(out)
    grad, = torch.autograd.grad(out, feats, grad_out)
    expected_grad, = torch.autograd.grad(expected, feats, grad_out)
    torch.testing.assert_close(grad, expected_grad, rtol=0, atol=1e-5)


def test_public_avg_is_torchvision(tv_ops):
    feats, rois = _inputs()
    out = ps_roi_align(feats, rois, (3, 2), 0.5, 2)
    expected = tv_ops.ps_roi_align(feats, rois, (3, 2), 0.5, 2)
    assert torch.equal(out, expected)
    grad_out = torch.randn_like(out)
    assert torch.equal(
        torch.autograd.grad(out, feats, grad_out)[0],
        torch.autograd.grad(expected, feats, grad_out)[0])
    # float64 rois are cast to the input's dtype (torchvision insists on one dtype)
    assert torch.equal(ps_roi_align(feats, rois.double(), (3, 2), 0.5, 2), expected)


def test_public_avg_without_torchvision(tv_ops, monkeypatch):
    feats, rois = _inputs()
    expected = tv_ops.ps_roi_align(feats, rois, (3, 2), 0.5, 2)
    monkeypatch.setattr(ps_roi_align_module, '_tv_ps_roi_align', None)
    torch.testing.assert_close(
        ps_roi_align(feats, rois, (3, 2), 0.5, 2), expected, rtol=0, atol=1e-5)


def test_unsupported_dtype_falls_back_to_pytorch(tv_ops):
    # torchvision has no bfloat16 kernel
    feats, rois = _inputs()
    out = ps_roi_align(feats.detach().bfloat16(), rois, (3, 2), 0.5, 2)
    assert out.dtype == torch.bfloat16
    expected = tv_ops.ps_roi_align(feats.detach(), rois, (3, 2), 0.5, 2)
    torch.testing.assert_close(out.float(), expected, rtol=0.02, atol=0.05)


@pytest.mark.parametrize('mode', ['avg', 'max'])
@pytest.mark.parametrize('spatial_scale,sampling_ratio', [(1.0, 2), (0.37, 3)])
def test_matches_naive_reference(mode, spatial_scale, sampling_ratio):
    # avg checks the reference itself against torchvision's conventions
    feats, rois = _inputs(dtype=torch.float64)
    expected = _ps_roi_align_ref(feats, rois, (3, 2), spatial_scale, sampling_ratio,
                                 mode)
    out = ps_roi_align(feats, rois, (3, 2), spatial_scale, sampling_ratio, mode)
    torch.testing.assert_close(out, expected, rtol=0, atol=1e-10)
    pure = _ps_roi_align_pytorch(feats, rois, (3, 2), spatial_scale, sampling_ratio,
                                 mode)
    torch.testing.assert_close(pure, expected, rtol=0, atol=1e-10)


def test_max_mode_takes_max_without_offset():
    # value x + 0.5 at column x: the rightmost sample of a bin, no -0.5 shift
    ramp = torch.arange(8.).add(0.5).expand(1, 4, 8, 8)
    rois = torch.tensor([[0., 1., 1., 5., 5.]])
    out = ps_roi_align(ramp, rois, 2, sampling_ratio=2, mode='max')
    # bin j spans x in [1 + 2j, 3 + 2j]: points at x = 1.5 + 2j and 2.5 + 2j
    assert out.flatten().tolist() == [3.0, 5.0, 3.0, 5.0]
    avg = ps_roi_align(ramp, rois, 2, sampling_ratio=2, mode='avg')
    # avg shifts by -0.5: points at x = 1 + 2j and 2 + 2j, mean 2 + 2j
    assert avg.flatten().tolist() == [2.0, 4.0, 2.0, 4.0]


@pytest.mark.parametrize('mode', ['avg', 'max'])
def test_channel_mapping(mode):
    # input channel ch is constant ch: bin (i, j) of output channel c reads
    # channel (c * ph + i) * pw + j
    ph, pw, out_channels = 3, 2, 4
    channels = out_channels * ph * pw
    feats = torch.arange(
        channels, dtype=torch.float32).view(1, -1, 1, 1).expand(1, channels, 6, 6)
    out = ps_roi_align(
        feats, torch.tensor([[0., 0.5, 1., 4.5, 5.]]), (ph, pw), mode=mode)
    torch.testing.assert_close(
        out[0],
        torch.arange(channels, dtype=torch.float32).view(out_channels, ph, pw))


@pytest.mark.parametrize('mode', ['avg', 'max'])
def test_gradcheck(mode):
    feats = torch.randn(2, 2 * 2 * 2, 5, 6, dtype=torch.float64, requires_grad=True)
    rois = torch.tensor(
        [[0, 0.3, 0.7, 4.1, 3.9], [1, -2.2, -1.5, 3.3, 2.6], [1, 2.5, 1.5, 7.9, 6.2]],
        dtype=torch.float64)
    assert torch.autograd.gradcheck(
        lambda x: _ps_roi_align_pytorch(x, rois, 2, 0.9, 2, mode), (feats, ))


@pytest.mark.parametrize('mode', ['avg', 'max'])
@pytest.mark.parametrize('impl', [ps_roi_align, _ps_roi_align_pytorch])
def test_no_rois(mode, impl):
    feats = torch.randn(2, 2 * 3 * 3, 5, 5, requires_grad=True)
    out = impl(feats, torch.zeros(0, 5), 3, 0.5, 2, mode)
    assert out.shape == (0, 2, 3, 3)
    out.sum().backward()
    assert torch.equal(feats.grad, torch.zeros_like(feats))


@pytest.mark.parametrize('mode', ['avg', 'max'])
@pytest.mark.parametrize('impl', [ps_roi_align, _ps_roi_align_pytorch])
def test_rois_outside_map(mode, impl):
    feats = torch.randn(1, 2 * 2 * 2, 5, 5, requires_grad=True)
    # two RoIs wholly outside (zeros), one partly outside (finite)
    rois = torch.tensor([[0., -30., -30., -2., -2.], [0., 7., 8., 40., 50.],
                         [0., -3., -3., 2., 2.]])
    out = impl(feats, rois, 2, 1.0, 2, mode)
    assert torch.equal(out[:2], torch.zeros_like(out[:2]))
    assert out[2].isfinite().all() and out[2].abs().sum() > 0
    grad, = torch.autograd.grad(out[:2].sum(), feats)
    assert torch.equal(grad, torch.zeros_like(feats))


def test_module():
    layer = PSRoIAlign((3, 2), 0.5, sampling_ratio=3, mode='max')
    assert repr(layer) == ('PSRoIAlign(output_size=(3, 2), spatial_scale=0.5, '
                           'sampling_ratio=3, mode=\'max\')')
    feats, rois = _inputs()
    assert torch.equal(
        layer(feats, rois), ps_roi_align(feats, rois, (3, 2), 0.5, 3, 'max'))
    assert PSRoIAlign(7, 1 / 16).output_size == (7, 7)


@pytest.mark.parametrize('kwargs,match', [
    (dict(mode='sum'), 'mode'),
    (dict(sampling_ratio=0), 'sampling_ratio'),
    (dict(sampling_ratio=-1), 'sampling_ratio'),
    (dict(sampling_ratio=2.0), 'sampling_ratio'),
    (dict(output_size=0), 'output_size'),
    (dict(output_size=(2, 2, 2)), 'output_size'),
    (dict(output_size=(2, 1.5)), 'output_size'),
    (dict(input=torch.randn(1, 7, 5, 5)), 'input'),
    (dict(input=torch.randn(8, 5, 5)), 'input'),
    (dict(rois=torch.zeros(3, 4)), 'rois'),
    (dict(rois=torch.zeros(5)), 'rois'),
    (dict(rois=[torch.zeros(3, 4)]), 'rois'),
])
@pytest.mark.parametrize('impl', [ps_roi_align, _ps_roi_align_pytorch])
def test_bad_arguments(kwargs, match, impl):
    args = dict(
        input=torch.randn(1, 8, 5, 5),
        rois=torch.tensor([[0., 1, 1, 3, 3]]),
        output_size=2,
        spatial_scale=1.0,
        sampling_ratio=2,
        mode='avg')
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        impl(**args)
    if 'input' not in kwargs and 'rois' not in kwargs:
        layer_args = {
            k: args[k]
            for k in ('output_size', 'spatial_scale', 'sampling_ratio', 'mode')
        }
        with pytest.raises(ValueError, match=match):
            PSRoIAlign(**layer_args)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
@pytest.mark.parametrize('mode', ['avg', 'max'])
def test_cuda_matches_cpu(mode):
    feats, rois = _inputs()
    out = _ps_roi_align_pytorch(feats, rois, (3, 2), 0.5, 2, mode)
    cuda_feats = feats.detach().cuda().requires_grad_()
    for impl in (ps_roi_align, _ps_roi_align_pytorch):
        cuda_out = impl(cuda_feats, rois.cuda(), (3, 2), 0.5, 2, mode)
        torch.testing.assert_close(cuda_out.cpu(), out, rtol=0, atol=1e-5)
        grad_out = torch.randn_like(out)
        torch.testing.assert_close(
            torch.autograd.grad(cuda_out, cuda_feats, grad_out.cuda())[0].cpu(),
            torch.autograd.grad(out, feats, grad_out)[0],
            rtol=0,
            atol=1e-5)
