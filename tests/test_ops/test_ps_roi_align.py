import importlib
import inspect
import io
import math

import pytest
import torch
import torch.fx
import torch.nn as nn
from torch.nn.modules.utils import _pair

from shufflenet_backbones import ops
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
# the RoIs that are neither degenerate nor inverted: adaptive sampling gives them
# points in every bin
NON_EMPTY = [0, 1, 2, 3, 4, 5, 8]


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
    """Explicit loops over RoIs, bins and sampling points.

    ``sampling_ratio <= 0``: torchvision's adaptive grid, ceil(bin size) points
    along each axis; an empty axis gives avg 0 / (grid_h * grid_w) (NaN where
    that is 0 / 0, as in torchvision's kernel) and max 0.
    """
    ph, pw = output_size
    out_channels = feats.size(1) // (ph * pw)
    data = feats.detach().double().tolist()
    offset = 0.5 if mode == 'avg' else 0.0
    out = torch.zeros(len(rois), out_channels, ph, pw, dtype=torch.float64)
    for k, (b, x1, y1, x2, y2) in enumerate(rois.double().tolist()):
        x1, y1 = x1 * spatial_scale - offset, y1 * spatial_scale - offset
        x2, y2 = x2 * spatial_scale - offset, y2 * spatial_scale - offset
        bin_h, bin_w = (y2 - y1) / ph, (x2 - x1) / pw
        grid_h = sampling_ratio if sampling_ratio > 0 else math.ceil(bin_h)
        grid_w = sampling_ratio if sampling_ratio > 0 else math.ceil(bin_w)
        for c in range(out_channels):
            for i in range(ph):
                for j in range(pw):
                    img = data[int(b)][(c * ph + i) * pw + j]
                    # the centres of grid_h x grid_w equal parts of the bin
                    ys = [
                        y1 + i * bin_h + (a + 0.5) * bin_h / grid_h
                        for a in range(grid_h)
                    ]
                    xs = [
                        x1 + j * bin_w + (e + 0.5) * bin_w / grid_w
                        for e in range(grid_w)
                    ]
                    vals = [_bilinear_ref(img, y, x) for y in ys for x in xs]
                    if mode == 'max':
                        out[k, c, i, j] = max(vals) if vals else 0.0
                    elif grid_h * grid_w == 0:
                        out[k, c, i, j] = math.nan
                    else:
                        out[k, c, i, j] = sum(vals) / (grid_h * grid_w)
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
    monkeypatch.setattr(ps_roi_align_module, '_tv_ps_roi_align',
                        ps_roi_align_module._no_kernel)
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
    assert PSRoIAlign(7, 1 / 16, 2).output_size == (7, 7)


@pytest.mark.parametrize('kwargs,match', [
    (dict(mode='sum'), 'mode'),
    (dict(mode=None), 'mode'),
    (dict(sampling_ratio=2.0), 'sampling_ratio'),
    (dict(sampling_ratio=True), 'sampling_ratio'),
    (dict(output_size=0), 'output_size'),
    (dict(output_size=(2, 2, 2)), 'output_size'),
    (dict(output_size=(2, 1.5)), 'output_size'),
    (dict(input=torch.randn(1, 7, 5, 5)), 'input'),
    (dict(input=torch.randn(8, 5, 5)), 'input'),
    (dict(input=[[1.0]]), 'input'),
    (dict(boxes=torch.zeros(3, 4)), 'boxes'),
    (dict(boxes=torch.zeros(5)), 'boxes'),
    (dict(boxes=[torch.zeros(3, 5)]), r'boxes\[0\]'),
    (dict(boxes=[torch.zeros(3)]), r'boxes\[0\]'),
    (dict(boxes=[torch.zeros(1, 4)] * 2), 'batch of 1'),
    (dict(boxes=[[0., 1, 1, 3, 3]]), 'boxes'),
    (dict(boxes=torch.zeros(2, 5, device='meta')), 'boxes are on meta'),
])
@pytest.mark.parametrize('impl', [ps_roi_align, _ps_roi_align_pytorch])
def test_bad_arguments(kwargs, match, impl):
    args = dict(
        input=torch.randn(1, 8, 5, 5),
        boxes=torch.tensor([[0., 1, 1, 3, 3]]),
        output_size=2,
        spatial_scale=1.0,
        sampling_ratio=2,
        mode='avg')
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        impl(**args)
    if 'input' not in kwargs and 'boxes' not in kwargs:
        layer_args = {
            k: args[k]
            for k in ('output_size', 'spatial_scale', 'sampling_ratio', 'mode')
        }
        with pytest.raises(ValueError, match=match):
            PSRoIAlign(**layer_args)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
@pytest.mark.parametrize('sampling_ratio', [2, -1])
@pytest.mark.parametrize('mode', ['avg', 'max'])
def test_cuda_matches_cpu(mode, sampling_ratio):
    feats, rois = _inputs()
    rois = rois[NON_EMPTY]  # NaN (avg, adaptive) is tested on the CPU
    out = _ps_roi_align_pytorch(feats, rois, (3, 2), 0.5, sampling_ratio, mode)
    cuda_feats = feats.detach().cuda().requires_grad_()
    for impl in (ps_roi_align, _ps_roi_align_pytorch):
        cuda_out = impl(cuda_feats, rois.cuda(), (3, 2), 0.5, sampling_ratio, mode)
        torch.testing.assert_close(cuda_out.cpu(), out, rtol=0, atol=1e-5)
        grad_out = torch.randn_like(out)
        torch.testing.assert_close(
            torch.autograd.grad(cuda_out, cuda_feats, grad_out.cuda())[0].cpu(),
            torch.autograd.grad(out, feats, grad_out)[0],
            rtol=0,
            atol=1e-5)


# torchvision.ops.ps_roi_align drop-in: adaptive sampling, defaults, box lists,
# dtypes, TorchScript and torch.fx

@pytest.mark.parametrize('mode', ['avg', 'max'])
@pytest.mark.parametrize('impl', [ps_roi_align, _ps_roi_align_pytorch])
@pytest.mark.parametrize('spatial_scale,output_size', [(0.5, (3, 2)), (0.37, 2),
                                                       (1.0, (1, 3))])
def test_adaptive_matches_naive_reference(mode, impl, spatial_scale, output_size):
    feats, rois = _inputs(_pair(output_size), dtype=torch.float64)
    if spatial_scale == 1.0:
        rois = rois[:-1]  # 220 px: a 74 x 74 grid, slow in the reference
    expected = _ps_roi_align_ref(feats, rois, _pair(output_size), spatial_scale, -1,
                                 mode)
    out = impl(feats, rois, output_size, spatial_scale, -1, mode)
    torch.testing.assert_close(out, expected, rtol=0, atol=1e-10, equal_nan=True)
    # the grid is the RoI's own: a fixed 2 x 2 gives other numbers
    fixed = impl(feats, rois, output_size, spatial_scale, 2, mode)
    assert not torch.allclose(fixed[:3], expected[:3])


def test_adaptive_empty_rois_follow_torchvision(tv_ops):
    # zero width or height: torchvision's 0 points / 0 = NaN, with zero gradient;
    # inverted: 0
    feats, rois = _inputs(dtype=torch.float64)
    expected = tv_ops.ps_roi_align(feats, rois, (3, 2), 0.5, -1)
    assert expected[6].isnan().all() and not expected[NON_EMPTY].isnan().any()
    assert torch.equal(expected[7], torch.zeros_like(expected[7]))
    out = _ps_roi_align_pytorch(feats, rois, (3, 2), 0.5, -1)
    torch.testing.assert_close(out, expected, rtol=0, atol=1e-10, equal_nan=True)
    grad_out = torch.randn_like(out)
    grad, = torch.autograd.grad(out, feats, grad_out)
    expected_grad, = torch.autograd.grad(expected, feats, grad_out)
    assert grad.isfinite().all()
    torch.testing.assert_close(grad, expected_grad, rtol=0, atol=1e-10)
    # max mode: no points pool 0
    out = _ps_roi_align_pytorch(feats, rois, (3, 2), 0.5, -1, 'max')
    assert torch.equal(out[6:8], torch.zeros_like(out[6:8]))


def test_defaults_are_torchvisions(tv_ops):
    ours = inspect.signature(ps_roi_align).parameters
    theirs = inspect.signature(tv_ops.ps_roi_align).parameters
    assert list(ours)[:len(theirs)] == list(theirs) and list(ours)[-1] == 'mode'
    for name, param in theirs.items():
        assert ours[name].default == param.default, name
    assert ours['mode'].default == 'avg'
    layer_params = inspect.signature(PSRoIAlign).parameters
    assert list(layer_params) == list(
        inspect.signature(tv_ops.PSRoIAlign).parameters) + ['mode']
    # no default for sampling_ratio, as in torchvision (it was 2 here)
    with pytest.raises(TypeError, match='sampling_ratio'):
        PSRoIAlign(7, 1 / 16)


def _call_forms(tv_ops, feats, rois):
    """(ours, torchvision's) for the same calls, defaults included."""
    boxes = [rois[rois[:, 0] == i, 1:] for i in range(2)]
    return [
        (lambda f: f(feats, rois, 2), tv_ops.ps_roi_align),
        (lambda f: f(feats, rois, (3, 2), 0.5), tv_ops.ps_roi_align),
        (lambda f: f(feats, rois, output_size=[3, 2], spatial_scale=0.37,
                     sampling_ratio=0), tv_ops.ps_roi_align),
        (lambda f: f(feats, rois, 2, 0.5, 3), tv_ops.ps_roi_align),
        (lambda f: f(feats, boxes, (3, 2), 0.5), tv_ops.ps_roi_align),
        (lambda f: f(feats, tuple(boxes), (3, 2), 0.5, 2), tv_ops.ps_roi_align),
        (lambda f: f((3, 2), 0.5, -1)(feats, rois), tv_ops.PSRoIAlign),
        (lambda f: f(2, 0.37, 2)(feats, boxes), tv_ops.PSRoIAlign),
    ]


@pytest.mark.parametrize('form', range(8))
@pytest.mark.parametrize('path', ['public', 'pytorch'])
def test_same_call_same_numbers_as_torchvision(tv_ops, form, path, monkeypatch):
    feats, rois = _inputs()
    rois = rois[NON_EMPTY]  # sorted by image below, as a list gives them
    rois = rois[rois[:, 0].argsort(stable=True)]
    call, theirs = _call_forms(tv_ops, feats, rois)[form]
    expected = call(theirs)
    if path == 'pytorch':
        monkeypatch.setattr(ps_roi_align_module, '_tv_ps_roi_align',
                            ps_roi_align_module._no_kernel)
    out = call(PSRoIAlign if theirs is tv_ops.PSRoIAlign else ps_roi_align)
    if path == 'public':
        assert torch.equal(out, expected)
    torch.testing.assert_close(out, expected, rtol=0, atol=1e-5)
    grad_out = torch.randn_like(out)
    torch.testing.assert_close(
        torch.autograd.grad(out, feats, grad_out)[0],
        torch.autograd.grad(expected, feats, grad_out)[0],
        rtol=0,
        atol=1e-5)


@pytest.mark.parametrize('dtype,tol', [(torch.float16, 4e-3), (torch.float32, 1e-5),
                                       (torch.float64, 1e-10)],
                         ids=str)
@pytest.mark.parametrize('contiguous', [True, False])
@pytest.mark.parametrize('sampling_ratio', [-1, 2])
@pytest.mark.parametrize('impl', [ps_roi_align, _ps_roi_align_pytorch])
def test_dtypes(impl, sampling_ratio, contiguous, dtype, tol):
    # torchvision's test: float16 / 32 / 64 inputs and boxes, also a permuted
    # (non-contiguous) input, against the float64 reference
    feats = torch.rand(2, 2 * 5 * 5, 10, 10, dtype=dtype)
    if not contiguous:
        feats = feats.permute(0, 1, 3, 2)
    rois = torch.tensor([[0, 0, 0, 9, 9], [0, 0, 5, 4, 9], [0, 5, 5, 9, 9],
                         [1, 0, 0, 9, 9]], dtype=dtype)
    out = impl(feats, rois, 5, 1.0, sampling_ratio)
    assert out.dtype == dtype
    expected = _ps_roi_align_ref(feats, rois, (5, 5), 1.0, sampling_ratio, 'avg')
    torch.testing.assert_close(out.double(), expected, rtol=tol, atol=tol)


@pytest.mark.parametrize('mode', ['avg', 'max'])
def test_adaptive_gradcheck(mode):
    feats = torch.randn(2, 2 * 2 * 2, 5, 6, dtype=torch.float64, requires_grad=True)
    # 1 x 1 to 3 x 2 points per bin, one RoI inverted along x
    rois = torch.tensor(
        [[0, 0.3, 0.7, 4.1, 3.9], [1, -2.2, -1.5, 3.3, 2.6], [1, 2.5, 1.5, 7.9, 6.2],
         [0, 5.0, 0.5, 1.0, 4.5]],
        dtype=torch.float64)
    assert torch.autograd.gradcheck(
        lambda x: _ps_roi_align_pytorch(x, rois, 2, 0.9, -1, mode), (feats, ))


@pytest.mark.parametrize('sampling_ratio', [-1, 2])
@pytest.mark.parametrize('mode', ['avg', 'max'])
@pytest.mark.parametrize('impl', [ps_roi_align, _ps_roi_align_pytorch])
def test_empty_boxes(impl, mode, sampling_ratio):
    feats = torch.randn(2, 2 * 3 * 3, 5, 5, requires_grad=True)
    for boxes in (torch.zeros(0, 5), [], [torch.zeros(0, 4)],
                  [torch.zeros(0, 4), torch.zeros(0, 4)]):
        out = impl(feats, boxes, 3, 0.5, sampling_ratio, mode)
        assert out.shape == (0, 2, 3, 3)
        grad, = torch.autograd.grad(out.sum(), feats, allow_unused=True)
        assert grad is None or torch.equal(grad, torch.zeros_like(feats))


@pytest.mark.parametrize('mode', ['avg', 'max'])
@pytest.mark.parametrize('impl', [ps_roi_align, _ps_roi_align_pytorch])
def test_box_list_equals_tensor_form(impl, mode):
    feats, rois = _inputs()
    rois = rois[rois[:, 0].argsort(stable=True)]
    boxes = [rois[rois[:, 0] == i, 1:] for i in range(2)]
    expected = impl(feats, rois, (3, 2), 0.5, -1, mode)
    for form in (boxes, tuple(boxes)):
        torch.testing.assert_close(impl(feats, form, (3, 2), 0.5, -1, mode), expected,
                                   rtol=0, atol=0, equal_nan=True)
    # fewer tensors than images: the last images have no boxes. (Other RoIs pad
    # the pure-PyTorch adaptive grid otherwise, which sums in another order.)
    torch.testing.assert_close(impl(feats, boxes[:1], (3, 2), 0.5, -1, mode),
                               expected[:len(boxes[0])], rtol=0, atol=1e-6,
                               equal_nan=True)


def test_jit_script():
    feats, rois = _inputs()
    rois = rois[NON_EMPTY]
    boxes = [rois[rois[:, 0] == i, 1:] for i in range(2)]
    scripted = torch.jit.script(ps_roi_align)
    scripted_pytorch = torch.jit.script(_ps_roi_align_pytorch)
    for mode in ('avg', 'max'):
        for sampling_ratio in (-1, 2):
            expected = ps_roi_align(feats, rois, (3, 2), 0.5, sampling_ratio, mode)
            for fn in (scripted, scripted_pytorch):
                torch.testing.assert_close(
                    fn(feats, rois, (3, 2), 0.5, sampling_ratio, mode), expected,
                    rtol=0, atol=1e-6)
            layer = torch.jit.script(PSRoIAlign((3, 2), 0.5, sampling_ratio, mode))
            torch.testing.assert_close(layer(feats, rois), expected, rtol=0, atol=0)
            torch.testing.assert_close(
                layer(feats, boxes),
                ps_roi_align(feats, boxes, (3, 2), 0.5, sampling_ratio, mode),
                rtol=0, atol=0)
    # the defaults and an int output_size
    torch.testing.assert_close(scripted(feats, rois, 2), ps_roi_align(feats, rois, 2))
    # the argument errors survive compilation
    with pytest.raises(torch.jit.Error, match='not a multiple of output_size'):
        scripted(feats, rois, 5)
    with pytest.raises(torch.jit.Error, match=r"mode must be 'avg' or 'max'"):
        scripted(feats, rois, 2, 1.0, -1, 'sum')
    with pytest.raises(torch.jit.Error, match=r'boxes\[0\] must be a \(K, 4\)'):
        scripted(feats, [rois], 2)


def test_jit_script_gradcheck():
    # torchvision's: gradcheck through the compiled function
    feats = torch.rand(1, 2 * 2 * 2, 5, 5, dtype=torch.float64, requires_grad=True)
    rois = torch.tensor([[0, 0, 0, 4, 4], [0, 0, 2, 3, 4], [0, 2, 2, 4, 4]],
                        dtype=torch.float64)
    scripted = torch.jit.script(_ps_roi_align_pytorch)
    for sampling_ratio in (1, -1):
        assert torch.autograd.gradcheck(
            lambda x: scripted(x, rois, 2, 1.0, sampling_ratio), (feats, ))


class _CallsLayer(nn.Module):

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, feats, rois):
        return self.layer(feats, rois)


class _CallsOps(nn.Module):

    def forward(self, feats, rois):
        return ops.ps_roi_align(feats, rois, (3, 2), 0.5, -1)


@pytest.mark.parametrize('module', [
    _CallsLayer(PSRoIAlign((3, 2), 0.5, -1)),
    _CallsLayer(PSRoIAlign((3, 2), 0.5, 2, 'max')),
    _CallsOps(),
], ids=['layer', 'layer_max', 'ops'])
def test_fx_leaf(module):
    graph_module = torch.fx.symbolic_trace(module)
    calls = [node for node in graph_module.graph.nodes if node.op != 'placeholder'
             and node.op != 'output']
    # one node, the op itself: nothing inside it was traced
    assert len(calls) == 1
    assert calls[0].op == 'call_function' and calls[0].target is ps_roi_align
    feats, rois = _inputs()
    torch.testing.assert_close(graph_module(feats, rois), module(feats, rois),
                               rtol=0, atol=0, equal_nan=True)


def test_fx_graph_node_names(tv_ops):
    # torchvision's leaf test: the inputs and the op, no more
    feature_extraction = pytest.importorskip('torchvision.models.feature_extraction')
    names = feature_extraction.get_graph_node_names(
        _CallsLayer(PSRoIAlign((3, 2), 0.5, -1)))
    assert names[0] == names[1] == ['feats', 'rois', 'layer.ps_roi_align']


def test_fx_unwrapped_name_is_explained():

    class CallsImportedName(nn.Module):

        def forward(self, feats, rois):
            return ps_roi_align(feats, rois, 2)

    with pytest.raises(ValueError, match=r"torch\.fx\.wrap\('ps_roi_align'\)"):
        torch.fx.symbolic_trace(CallsImportedName())


def test_adaptive_refused_where_traced():
    feats, rois = _inputs()
    with pytest.raises(ValueError, match='sampling_ratio=-1 .adaptive. does not'):
        torch.jit.trace(lambda x, r: _ps_roi_align_pytorch(x, r, (3, 2), 0.5, -1),
                        (feats, rois))
    # torchvision's kernel traces as one op
    traced = torch.jit.trace(lambda x, r: ps_roi_align(x, r, (3, 2), 0.5, -1),
                             (feats, rois))
    torch.testing.assert_close(traced(feats, rois),
                               ps_roi_align(feats, rois, (3, 2), 0.5, -1),
                               equal_nan=True)


@pytest.mark.filterwarnings('ignore::torch.jit.TracerWarning')
@pytest.mark.filterwarnings('ignore::DeprecationWarning')
def test_adaptive_refused_in_onnx_export():
    pytest.importorskip('onnx')
    feats, rois = _inputs()
    with pytest.raises(ValueError, match='sampling_ratio=0 .adaptive. does not'):
        torch.onnx.export(PSRoIAlign((3, 2), 0.5, 0), (feats.detach(), rois),
                          io.BytesIO(), dynamo=False, opset_version=17)


def _one_image_inputs():
    """One image's 4 x 3 x 3 channel groups on a 20 x 24 map (spatial scale 0.5),
    and RoIs inside, partly outside, far outside and tiny."""
    torch.manual_seed(0)
    feats = torch.randn(1, 4 * 3 * 3, 20, 24)
    corners = torch.rand(40, 2) * torch.tensor([40., 32.])
    sizes = torch.rand(40, 2) * 20 + 0.5
    rois = torch.cat([torch.zeros(40, 1), corners, corners + sizes], dim=1)
    rois[0, 1:] = torch.tensor([-10., -6., 60., 50.])  # beyond the map
    rois[1, 1:] = torch.tensor([-30., -30., -8., -8.])  # wholly outside
    rois[2, 1:] = torch.tensor([10., 10., 10.2, 10.1])  # tiny
    return feats, rois


def test_grid_sample_path_equals_torchvision(tv_ops):
    from shufflenet_backbones.ops.ps_roi_align import _ps_roi_align_grid_sample
    feats, rois = _one_image_inputs()
    expected = tv_ops.ps_roi_align(feats, rois, (3, 3), 0.5, 2)
    got = _ps_roi_align_grid_sample(feats, rois, 3, 3, 0.5, 2)
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-5)


@pytest.mark.filterwarnings('ignore::torch.jit.TracerWarning')
@pytest.mark.filterwarnings('ignore::DeprecationWarning')
@pytest.mark.parametrize('batch', [1, 2])
def test_export_runs_avg_as_grid_sample(tv_ops, batch):
    onnx = pytest.importorskip('onnx')
    ort = pytest.importorskip('onnxruntime')
    feats, rois = _one_image_inputs()
    feats = feats.repeat(batch, 1, 1, 1)
    rois[::2, 0] = batch - 1  # every other RoI on the last image
    buffer = io.BytesIO()
    torch.onnx.export(PSRoIAlign((3, 3), 0.5, 2), (feats, rois), buffer,
                      dynamo=False, opset_version=17)
    model = onnx.load_from_string(buffer.getvalue())
    # avg with a fixed sampling ratio exports as GridSample, for any batch
    assert 'GridSample' in {n.op_type for n in model.graph.node}
    session = ort.InferenceSession(buffer.getvalue(),
                                   providers=['CPUExecutionProvider'])
    names = [i.name for i in session.get_inputs()]
    got, = session.run(None, dict(zip(names, (feats.numpy(), rois.numpy()))))
    expected = tv_ops.ps_roi_align(feats, rois, (3, 3), 0.5, 2)
    torch.testing.assert_close(torch.from_numpy(got), expected, rtol=0, atol=1e-5)
