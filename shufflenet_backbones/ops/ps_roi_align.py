"""Position-sensitive RoIAlign (Light-Head R-CNN, Li et al., 2017).

mmcv has no position-sensitive RoI op. ``mode='avg'`` is torchvision's
``ps_roi_align`` (used directly when it is available); ``mode='max'`` is the op of
the official Light-Head R-CNN release, which torchvision does not provide. Both
have a pure-PyTorch implementation, :func:`_ps_roi_align_pytorch`, that works on
any device and dtype and is differentiated by autograd.
"""
from numbers import Integral
from typing import Tuple, Union

import torch
import torch.nn as nn
from torch import Tensor
from torch.nn.modules.utils import _pair

try:
    from torchvision.ops import ps_roi_align as _tv_ps_roi_align

    # torchvision can import without its compiled ops (e.g. built against another
    # torch); looking the op up fails then.
    torch.ops.torchvision.ps_roi_align
except Exception:  # ImportError, or RuntimeError / AttributeError from the lookup
    _tv_ps_roi_align = None

_MODES = ('avg', 'max')
# what torchvision's ps_roi_align kernels are compiled for
_TV_DEVICES = ('cpu', 'cuda')
_TV_DTYPES = (torch.float16, torch.float32, torch.float64)


def _check_config(output_size: Union[int, Tuple[int, int]], sampling_ratio: int,
                  mode: str) -> Tuple[int, int]:
    """Validate the non-tensor arguments; returns ``output_size`` as a pair."""
    if mode not in _MODES:
        raise ValueError(f'mode must be one of {_MODES}, got {mode!r}')
    # Adaptive sampling (torchvision's sampling_ratio <= 0) is not supported: the
    # grid would differ from RoI to RoI, which the vectorised implementation cannot
    # express without padding every RoI to the largest grid, and Light-Head R-CNN
    # uses a fixed grid.
    if (not isinstance(sampling_ratio, Integral) or isinstance(sampling_ratio, bool)
            or sampling_ratio <= 0):
        raise ValueError('sampling_ratio must be a positive int (adaptive sampling '
                         f'is not supported), got {sampling_ratio!r}')
    pair = _pair(output_size)
    if len(pair) != 2 or not all(
            isinstance(s, Integral) and not isinstance(s, bool) and s > 0
            for s in pair):
        raise ValueError('output_size must be a positive int or a pair of positive '
                         f'ints, got {output_size!r}')
    return int(pair[0]), int(pair[1])


def _describe(x) -> str:
    """Shape of a tensor, type of anything else, for error messages."""
    if isinstance(x, Tensor):
        return f'a tensor of shape {tuple(x.shape)}'
    return f'a {type(x).__name__}'


def _check_args(input: Tensor, rois: Tensor, output_size: Union[int, Tuple[int, int]],
                sampling_ratio: int, mode: str) -> Tuple[int, int]:
    """Validate every argument; returns ``output_size`` as a pair."""
    out_h, out_w = _check_config(output_size, sampling_ratio, mode)
    if not isinstance(input, Tensor) or input.dim() != 4:
        raise ValueError(f'input must be a (N, C, H, W) tensor, got {_describe(input)}')
    if input.size(1) % (out_h * out_w) != 0:
        raise ValueError(f'input has {input.size(1)} channels, which is not a '
                         f'multiple of output_size h * w = {out_h * out_w}')
    # a list of per-image boxes (torchvision accepts one) is not: use bbox2roi
    if not isinstance(rois, Tensor) or rois.dim() != 2 or rois.size(1) != 5:
        raise ValueError('rois must be a (K, 5) tensor of [batch_idx, x1, y1, x2, y2], '
                         f'got {_describe(rois)}')
    if rois.device != input.device:
        raise ValueError(f'rois are on {rois.device} but input is on {input.device}')
    return out_h, out_w


def _bilinear_1d(coords: Tensor, size: int) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
    """One axis of torchvision's bilinear interpolation rule.

    A point further than one pixel outside the map (``c < -1`` or ``c > size``)
    gets zero weights; otherwise it is clamped to ``[0, size - 1]``.

    Returns:
        tuple[Tensor]: Low and high neighbour indices (int64) and their weights.
    """
    inside = ((coords >= -1) & (coords <= size)).to(coords.dtype)
    coords = coords.clamp(min=0)
    low = coords.floor().long()
    at_edge = low >= size - 1
    low = low.clamp(max=size - 1)
    high = torch.where(at_edge, low, low + 1)
    # at the last row / column all the weight goes to it
    frac = torch.where(at_edge, torch.zeros_like(coords), coords - low)
    return low, high, (1 - frac) * inside, frac * inside


def _sample_coords(start: Tensor, bin_size: Tensor, num_bins: int,
                   sampling_ratio: int) -> Tensor:
    """Sampling points of every bin along one axis, shape (K, num_bins, s): the
    centres of ``s`` equal parts of the bin."""
    bins = torch.arange(num_bins, device=start.device, dtype=start.dtype)
    steps = torch.arange(sampling_ratio, device=start.device, dtype=start.dtype) + 0.5
    bin_start = start[:, None] + bins * bin_size[:, None]
    # same order of operations as torchvision's kernel, for bitwise-close parity
    return (bin_start[:, :, None] + steps * bin_size[:, None, None] / sampling_ratio)


def _ps_roi_align_pytorch(input: Tensor,
                          rois: Tensor,
                          output_size: Union[int, Tuple[int, int]],
                          spatial_scale: float = 1.0,
                          sampling_ratio: int = 2,
                          mode: str = 'avg') -> Tensor:
    """Pure-PyTorch :func:`ps_roi_align`, vectorised over RoIs.

    Used when torchvision's op is unavailable or does not support the input, and
    callable directly (e.g. to test it against torchvision). Same arguments and
    result as :func:`ps_roi_align`. Gradients flow to ``input`` only (``rois``
    are detached), like the compiled ops.
    """
    out_h, out_w = _check_args(input, rois, output_size, sampling_ratio, mode)
    num_batch, channels, height, width = input.shape
    out_channels = channels // (out_h * out_w)
    # sampling coordinates in at least float32, also for half inputs
    dtype = torch.promote_types(input.dtype, torch.float32)
    rois = rois.detach().to(dtype)

    # avg follows torchvision (pixel centres at +0.5: shift by -0.5); max follows
    # the Light-Head release, which uses the scaled coordinates as they are
    offset = 0.5 if mode == 'avg' else 0.0
    start_x = rois[:, 1] * spatial_scale - offset
    start_y = rois[:, 2] * spatial_scale - offset
    end_x = rois[:, 3] * spatial_scale - offset
    end_y = rois[:, 4] * spatial_scale - offset
    # no minimum RoI size, as in torchvision's ps_roi_align
    ys = _sample_coords(start_y, (end_y - start_y) / out_h, out_h, sampling_ratio)
    xs = _sample_coords(start_x, (end_x - start_x) / out_w, out_w, sampling_ratio)
    y_low, y_high, wy_low, wy_high = _bilinear_1d(ys, height)  # (K, out_h, s)
    x_low, x_high, wx_low, wx_high = _bilinear_1d(xs, width)  # (K, out_w, s)

    # Gather from the flattened input. Bin (i, j) of output channel c reads input
    # channel (c * out_h + i) * out_w + j, so the channels viewed as
    # (out_channels, out_h, out_w) line up with the output bins.
    # Index layout: (K, out_channels, out_h, out_w, s_y, s_x).
    batch_idx = rois[:, 0].long()
    channel = torch.arange(channels, device=input.device)
    channel = channel.view(out_channels, out_h, out_w)
    plane = (batch_idx.view(-1, 1, 1, 1) * channels + channel) * (height * width)
    plane = plane[..., None, None]
    flat_input = input.reshape(-1)
    samples = 0
    for rows, wy in ((y_low, wy_low), (y_high, wy_high)):
        rows = (rows * width)[:, None, :, None, :, None]
        wy = wy[:, None, :, None, :, None]
        for cols, wx in ((x_low, wx_low), (x_high, wx_high)):
            cols = cols[:, None, None, :, None, :]
            weight = wy * wx[:, None, None, :, None, :]
            samples = samples + flat_input[plane + rows + cols] * weight

    samples = samples.flatten(-2)
    if mode == 'avg':
        output = samples.mean(-1)
    else:
        # the gradient goes to the winning sampling point, as in the CUDA op
        output = samples.max(-1).values
    return output.to(input.dtype)


def ps_roi_align(input: Tensor,
                 rois: Tensor,
                 output_size: Union[int, Tuple[int, int]],
                 spatial_scale: float = 1.0,
                 sampling_ratio: int = 2,
                 mode: str = 'avg') -> Tensor:
    """Position-sensitive RoIAlign.

    Each RoI is divided into ``output_size`` bins; bin (i, j) of output channel c
    is pooled from input channel ``(c * ph + i) * pw + j`` only (the channel order
    of torchvision and of the Light-Head R-CNN release). A bin is pooled from a
    ``sampling_ratio x sampling_ratio`` grid of points at the centres of equal
    sub-cells, each bilinearly interpolated; a point more than one pixel outside
    the feature map reads 0, a point within one pixel is clamped onto the map.

    - ``mode='avg'``: mean of the points, with the aligned convention (pixel
      centres at +0.5, so the scaled coordinates are shifted by -0.5). Equals
      ``torchvision.ops.ps_roi_align``, which is called when it is available and
      supports the input (CPU / CUDA, float16 / 32 / 64); otherwise the
      pure-PyTorch implementation runs.
    - ``mode='max'``: maximum of the points, with the scaled coordinates used as
      they are (no -0.5 shift): the PSAlign pooling of the official Light-Head
      R-CNN release. Pure PyTorch; the gradient goes to the maximal point.

    Args:
        input (Tensor): Feature map, shape (N, C, H, W), where
            ``C = out_channels * ph * pw``.
        rois (Tensor): RoIs, shape (K, 5), rows ``[batch_idx, x1, y1, x2, y2]``
            in input-image coordinates (mmdet's ``bbox2roi`` format). Cast to the
            dtype of ``input``; no gradient flows to them.
        output_size (int | tuple[int, int]): Bins per RoI, ``(ph, pw)``.
        spatial_scale (float): Scale from image to feature-map coordinates, e.g.
            1/16 for a stride-16 map. Default: 1.0.
        sampling_ratio (int): Sampling points per bin along each axis; must be
            positive (torchvision's adaptive ``<= 0`` is not supported). Default: 2.
        mode (str): ``'avg'`` or ``'max'``. Default: ``'avg'``.

    Returns:
        Tensor: Pooled features, shape (K, out_channels, ph, pw).

    Example:
        >>> import torch
        >>> feats = torch.rand(2, 10 * 7 * 7, 32, 32)
        >>> rois = torch.tensor([[0., 16., 16., 256., 200.],
        ...                      [1., 0., 0., 511., 511.]])
        >>> ps_roi_align(feats, rois, 7, spatial_scale=1 / 16).shape
        torch.Size([2, 10, 7, 7])
    """
    out_h, out_w = _check_args(input, rois, output_size, sampling_ratio, mode)
    # torchvision's op has no ONNX conversion: exports trace the pure-PyTorch path
    if (mode == 'avg' and _tv_ps_roi_align is not None
            and input.device.type in _TV_DEVICES and input.dtype in _TV_DTYPES
            and not torch.onnx.is_in_onnx_export()):
        # torchvision requires rois of the input's dtype
        return _tv_ps_roi_align(input, rois.to(input.dtype), (out_h, out_w),
                                spatial_scale, sampling_ratio)
    return _ps_roi_align_pytorch(input, rois, (out_h, out_w), spatial_scale,
                                 sampling_ratio, mode)


class PSRoIAlign(nn.Module):
    """Position-sensitive RoIAlign layer, see :func:`ps_roi_align`.

    Args:
        output_size (int | tuple[int, int]): Bins per RoI, ``(ph, pw)``.
        spatial_scale (float): Scale from image to feature-map coordinates.
        sampling_ratio (int): Sampling points per bin along each axis (> 0).
            Default: 2.
        mode (str): ``'avg'`` (torchvision's op) or ``'max'`` (Light-Head R-CNN's
            PSAlign pooling). Default: ``'avg'``.

    Shape:
        - input: (N, out_channels * ph * pw, H, W)
        - rois: (K, 5), rows ``[batch_idx, x1, y1, x2, y2]``
        - output: (K, out_channels, ph, pw)

    Example:
        >>> import torch
        >>> layer = PSRoIAlign(7, spatial_scale=0.5, mode='max')
        >>> layer
        PSRoIAlign(output_size=(7, 7), spatial_scale=0.5, sampling_ratio=2, mode='max')
        >>> feats = torch.rand(1, 10 * 7 * 7, 32, 32)
        >>> layer(feats, torch.tensor([[0., 4., 4., 60., 50.]])).shape
        torch.Size([1, 10, 7, 7])
    """

    def __init__(self,
                 output_size: Union[int, Tuple[int, int]],
                 spatial_scale: float,
                 sampling_ratio: int = 2,
                 mode: str = 'avg') -> None:
        super().__init__()
        # fail at build time rather than at the first forward
        self.output_size = _check_config(output_size, sampling_ratio, mode)
        self.spatial_scale = float(spatial_scale)
        self.sampling_ratio = int(sampling_ratio)
        self.mode = mode

    def forward(self, input: Tensor, rois: Tensor) -> Tensor:
        return ps_roi_align(input, rois, self.output_size, self.spatial_scale,
                            self.sampling_ratio, self.mode)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(output_size={self.output_size}, '
                f'spatial_scale={self.spatial_scale}, '
                f'sampling_ratio={self.sampling_ratio}, mode={self.mode!r})')
