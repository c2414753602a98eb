"""Position-sensitive RoIAlign (Light-Head R-CNN, Li et al., 2017).

mmcv has no position-sensitive RoI op. ``mode='avg'`` is a drop-in for
``torchvision.ops.ps_roi_align`` (same signature, defaults and numbers; its kernel
is used directly when it is available); ``mode='max'`` is the op of the official
Light-Head R-CNN release, which torchvision does not provide. Both have a
pure-PyTorch implementation, :func:`_ps_roi_align_pytorch`, that works on any
device and dtype and is differentiated by autograd.

:func:`ps_roi_align` and :class:`PSRoIAlign` compile with ``torch.jit.script``,
and :func:`ps_roi_align` is a leaf (one ``call_function`` node) under
``torch.fx``, as torchvision's ops are.
"""
from numbers import Integral
from typing import List, Optional, Tuple, Union

import torch
import torch.fx
import torch.nn as nn
from torch import Tensor
from torch.jit.annotations import BroadcastingList2
from torch.nn.modules.utils import _pair


def _torchvision_kernel(input: Tensor, rois: Tensor, out_h: int, out_w: int,
                        spatial_scale: float, sampling_ratio: int) -> Optional[Tensor]:
    """torchvision's compiled ``ps_roi_align``, or None where it has no kernel for
    the input's device or dtype."""
    if (input.device.type not in ['cpu', 'cuda']
            or input.dtype not in [torch.float16, torch.float32, torch.float64]):
        return None
    # torchvision requires rois of the input's dtype
    output, _ = torch.ops.torchvision.ps_roi_align(input, rois.to(input.dtype),
                                                   spatial_scale, out_h, out_w,
                                                   sampling_ratio)
    return output


def _no_kernel(input: Tensor, rois: Tensor, out_h: int, out_w: int,
               spatial_scale: float, sampling_ratio: int) -> Optional[Tensor]:
    """Stands in for :func:`_torchvision_kernel` where torchvision's ops are missing.

    A function rather than None: TorchScript can compile a call to it, but not a
    test of a global (None or a flag) that decides whether to call the op.
    """
    return None


try:
    import torchvision  # noqa: F401  (registers torch.ops.torchvision)

    # torchvision can import without its compiled ops (e.g. built against another
    # torch); looking the op up fails then.
    torch.ops.torchvision.ps_roi_align
    _tv_ps_roi_align = _torchvision_kernel
except Exception:  # ImportError, or RuntimeError / AttributeError from the lookup
    _tv_ps_roi_align = _no_kernel


def _is_int(x) -> bool:
    return isinstance(x, Integral) and not isinstance(x, bool)


def _check_config_types(output_size, sampling_ratio, mode) -> None:
    """The type checks of the non-tensor arguments, which TorchScript makes itself
    (eager mode only)."""
    pair = output_size if isinstance(output_size, (list, tuple)) else [output_size]
    if not all(_is_int(s) for s in pair):
        raise ValueError('output_size must be a positive int or a pair of positive '
                         f'ints, got {output_size!r}')
    if not _is_int(sampling_ratio):
        raise ValueError('sampling_ratio must be an int (<= 0: adaptive), got '
                         f'{sampling_ratio!r}')
    if not isinstance(mode, str):
        raise ValueError(f"mode must be 'avg' or 'max', got {mode!r}")


def _check_tensor_types(input, boxes) -> None:
    """The type checks of the tensor arguments (eager mode only)."""
    if isinstance(input, torch.fx.Proxy) or isinstance(boxes, torch.fx.Proxy):
        raise ValueError(
            'ps_roi_align was traced through by torch.fx: it is a leaf where it '
            'is called as shufflenet_backbones.ops.ps_roi_align or through '
            'PSRoIAlign; call it so, or call torch.fx.wrap(\'ps_roi_align\') at '
            'the top of the calling module')
    if not isinstance(input, Tensor):
        raise ValueError('input must be a (N, C, H, W) tensor, got a '
                         f'{type(input).__name__}')
    if not isinstance(boxes, Tensor) and not (
            isinstance(boxes, (list, tuple))
            and all(isinstance(b, Tensor) for b in boxes)):
        raise ValueError('boxes must be a (K, 5) tensor or a list of per-image '
                         f'(K_i, 4) tensors, got a {type(boxes).__name__}')


def _check_config(output_size: List[int], mode: str) -> Tuple[int, int]:
    """Validate the values of the non-tensor arguments; returns ``output_size`` as
    a pair."""
    if mode not in ['avg', 'max']:
        raise ValueError("mode must be 'avg' or 'max', got '" + mode + "'")
    if len(output_size) != 2 or output_size[0] <= 0 or output_size[1] <= 0:
        raise ValueError('output_size must be a positive int or a pair of positive '
                         'ints, got ' + str(output_size))
    return output_size[0], output_size[1]


def _boxes_to_rois(boxes: List[Tensor], input: Tensor) -> Tensor:
    """torchvision's list form, one (K_i, 4) tensor per image, as (K, 5) RoIs."""
    if len(boxes) > input.size(0):
        raise ValueError('boxes holds ' + str(len(boxes)) + ' per-image tensors, '
                         'but input has a batch of ' + str(input.size(0)))
    if len(boxes) == 0:
        return input.new_zeros((0, 5))
    rois: List[Tensor] = []
    for i, image_boxes in enumerate(boxes):
        if image_boxes.dim() != 2 or image_boxes.size(1) != 4:
            raise ValueError('boxes[' + str(i) + '] must be a (K, 4) tensor of '
                             '[x1, y1, x2, y2], got shape '
                             + str(list(image_boxes.shape)))
        rois.append(torch.cat([torch.full_like(image_boxes[:, :1], i), image_boxes],
                              dim=1))
    return torch.cat(rois)


def _prepare(input: Tensor, boxes: Union[Tensor, List[Tensor]],
             output_size: List[int], sampling_ratio: int,
             mode: str) -> Tuple[Tensor, int, int]:
    """Validate every argument; returns the boxes as (K, 5) RoIs and the output
    size."""
    if not torch.jit.is_scripting():
        _check_tensor_types(input, boxes)
        _check_config_types(output_size, sampling_ratio, mode)
    out_h, out_w = _check_config(_pair(output_size), mode)
    if input.dim() != 4:
        raise ValueError('input must be a (N, C, H, W) tensor, got shape '
                         + str(list(input.shape)))
    if input.size(1) % (out_h * out_w) != 0:
        raise ValueError('input has ' + str(input.size(1)) + ' channels, which is '
                         'not a multiple of output_size h * w = '
                         + str(out_h * out_w))
    if isinstance(boxes, Tensor):
        if boxes.dim() != 2 or boxes.size(1) != 5:
            raise ValueError('boxes must be a (K, 5) tensor of [batch_idx, x1, y1, '
                             'x2, y2] or a list of per-image (K_i, 4) tensors, got '
                             'shape ' + str(list(boxes.shape)))
        rois = boxes
    else:
        rois = _boxes_to_rois(boxes, input)
    if rois.device != input.device:
        raise ValueError('boxes are on ' + str(rois.device) + ' but input is on '
                         + str(input.device))
    return rois, out_h, out_w


def _check_traceable(sampling_ratio: int) -> None:
    """Refuse adaptive sampling where the graph is recorded rather than run."""
    recording = (torch.jit.is_tracing() or torch.onnx.is_in_onnx_export()
                 or torch.compiler.is_exporting())
    if sampling_ratio <= 0 and recording:
        raise ValueError(
            f'sampling_ratio={sampling_ratio} (adaptive) does not trace or export: '
            'the number of sampling points depends on the RoIs; pass a positive '
            'sampling_ratio')


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


def _sample_coords(start: Tensor, end: Tensor, num_bins: int,
                   sampling_ratio: int) -> Tuple[Tensor, Optional[Tensor]]:
    """Sampling points of every bin along one axis.

    Returns:
        tuple: The points, shape (K, num_bins, G): the centres of equal parts of
        each bin; and, for adaptive sampling only, the points per bin of each RoI,
        shape (K,), where only the first that many of the G are real.
    """
    bin_size = (end - start) / num_bins
    bins = torch.arange(num_bins, device=start.device, dtype=start.dtype)
    bin_start = (start[:, None] + bins * bin_size[:, None])[:, :, None]
    if sampling_ratio > 0:
        steps = torch.arange(
            sampling_ratio, device=start.device, dtype=start.dtype) + 0.5
        # same order of operations as torchvision's kernel, for bitwise-close
        # parity
        return bin_start + steps * bin_size[:, None, None] / sampling_ratio, None
    # torchvision's adaptive grid: ceil(bin size) points, which is 0 or negative
    # (no points) for an empty or inverted RoI. Every RoI is padded to the largest
    # grid and the extra points masked, rather than the RoIs grouped by grid
    # size: one gather for all RoIs, without a loop over the groups and a
    # scatter back into RoI order, at the cost of sampling every RoI as densely
    # as the largest (axes padded separately).
    grid = torch.ceil(bin_size)
    size = int(grid.max()) if grid.numel() > 0 else 1
    steps = torch.arange(max(size, 1), device=start.device, dtype=start.dtype) + 0.5
    # padded points of an RoI without points must stay finite: they are indices
    divisor = grid.clamp(min=1)[:, None, None]
    return bin_start + steps * bin_size[:, None, None] / divisor, grid


def _ps_roi_align_rois(input: Tensor, rois: Tensor, out_h: int, out_w: int,
                       spatial_scale: float, sampling_ratio: int,
                       mode: str) -> Tensor:
    """The pure-PyTorch op on validated (K, 5) RoIs, vectorised over RoIs."""
    if not torch.jit.is_scripting():
        _check_traceable(sampling_ratio)
    channels, height, width = input.size(1), input.size(2), input.size(3)
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
    ys, grid_y = _sample_coords(start_y, end_y, out_h, sampling_ratio)
    xs, grid_x = _sample_coords(start_x, end_x, out_w, sampling_ratio)
    y_low, y_high, wy_low, wy_high = _bilinear_1d(ys, height)  # (K, out_h, G_y)
    x_low, x_high, wx_low, wx_high = _bilinear_1d(xs, width)  # (K, out_w, G_x)
    if grid_y is not None:
        # padding points weigh nothing
        valid_y = _real_points(grid_y, ys.size(-1))[:, None]
        wy_low, wy_high = wy_low * valid_y, wy_high * valid_y
    if grid_x is not None:
        valid_x = _real_points(grid_x, xs.size(-1))[:, None]
        wx_low, wx_high = wx_low * valid_x, wx_high * valid_x

    # Gather from the flattened input. Bin (i, j) of output channel c reads input
    # channel (c * out_h + i) * out_w + j, so the channels viewed as
    # (out_channels, out_h, out_w) line up with the output bins.
    # Index layout: (K, out_channels, out_h, out_w, G_y, G_x).
    batch_idx = rois[:, 0].long()
    channel = torch.arange(channels, device=input.device)
    channel = channel.view(out_channels, out_h, out_w)
    plane = (batch_idx.view(-1, 1, 1, 1) * channels + channel) * (height * width)
    plane = plane[..., None, None]
    flat_input = input.reshape(-1)
    samples = torch.zeros((), dtype=dtype, device=input.device)
    for rows, wy in [(y_low, wy_low), (y_high, wy_high)]:
        rows = (rows * width)[:, None, :, None, :, None]
        wy = wy[:, None, :, None, :, None]
        for cols, wx in [(x_low, wx_low), (x_high, wx_high)]:
            cols = cols[:, None, None, :, None, :]
            weight = wy * wx[:, None, None, :, None, :]
            samples = samples + flat_input[plane + rows + cols] * weight
    samples = samples.flatten(-2)

    if grid_y is not None and grid_x is not None:
        output = _pool_adaptive(samples, grid_y, grid_x, ys.size(-1), xs.size(-1),
                                mode)
    elif mode == 'avg':
        output = samples.mean(-1)
    else:
        # the gradient goes to the winning sampling point, as in the CUDA op
        output = samples.max(-1)[0]
    return output.to(input.dtype)


def _ps_roi_align_grid_sample(input: Tensor, rois: Tensor, out_h: int, out_w: int,
                              spatial_scale: float, sampling_ratio: int) -> Tensor:
    """``mode='avg'`` with a fixed ``sampling_ratio`` as one ``grid_sample``
    (ONNX ``GridSample``, opset 16): what exports use.

    The gather of :func:`_ps_roi_align_rois` exports as index arithmetic and
    ``Gather`` over ``K * C * G_y * G_x`` int64 indices per bilinear corner, which
    the runtimes run far slower than PyTorch runs the op (measured: the largest
    stage of the exported Light-Head R-CNN). Here the ``out_h * out_w`` channel
    groups become the batch of one bilinear ``grid_sample``, each group sampled at
    its own bin of every RoI. ``padding_mode='border'`` clamps to the edge pixel as
    torchvision's rule does; points further than one pixel outside get zero weight,
    as there. Same values as the gather up to float rounding (tested).
    """
    images, channels = input.size(0), input.size(1)
    height, width = input.size(2), input.size(3)
    out_channels = channels // (out_h * out_w)
    bins = out_h * out_w
    dtype = torch.promote_types(input.dtype, torch.float32)
    rois = rois.detach().to(dtype)
    start_x = rois[:, 1] * spatial_scale - 0.5
    start_y = rois[:, 2] * spatial_scale - 0.5
    end_x = rois[:, 3] * spatial_scale - 0.5
    end_y = rois[:, 4] * spatial_scale - 0.5
    ys, _ = _sample_coords(start_y, end_y, out_h, sampling_ratio)  # (K, out_h, G)
    xs, _ = _sample_coords(start_x, end_x, out_w, sampling_ratio)  # (K, out_w, G)
    inside_y = ((ys >= -1) & (ys <= height)).to(dtype)
    inside_x = ((xs >= -1) & (xs <= width)).to(dtype)
    num = rois.size(0)
    points = sampling_ratio * sampling_ratio
    # (K, out_h, out_w, G_y, G_x) -> (out_h * out_w, K, G_y * G_x)
    shape = [num, out_h, out_w, sampling_ratio, sampling_ratio]
    grid_y = ys[:, :, None, :, None].expand(shape)
    grid_x = xs[:, None, :, None, :].expand(shape)
    weight = (inside_y[:, :, None, :, None] * inside_x[:, None, :, None, :]).expand(
        shape)
    # pixel coordinates to grid_sample's [-1, 1] (align_corners=False)
    grid = torch.stack([(2 * grid_x + 1) / width - 1, (2 * grid_y + 1) / height - 1],
                       dim=-1)
    grid = grid.reshape(num, bins, points, 2).permute(1, 0, 2, 3)
    weight = weight.reshape(num, bins, points).permute(1, 0, 2)
    # channel (c * out_h + i) * out_w + j feeds bin (i, j) of output channel c;
    # every image's groups are sampled at every RoI, and each RoI then takes its
    # own image's (no extra work for the usual one-image file)
    groups = input.to(dtype).reshape(images, out_channels, bins, height, width)
    groups = groups.permute(0, 2, 1, 3, 4).reshape(
        images * bins, out_channels, height, width)
    grid = grid.repeat(images, 1, 1, 1)
    samples = torch.nn.functional.grid_sample(
        groups, grid, mode='bilinear', padding_mode='border', align_corners=False)
    # (images * bins, C_out, K, G) -> (images, K, C_out, bins)
    pooled = (samples.reshape(images, bins, out_channels, num, points)
              * weight[None, :, None]).mean(-1).permute(0, 3, 2, 1)
    own = rois[:, 0].long()
    output = pooled[own, torch.arange(num, device=input.device)]
    return output.reshape(num, out_channels, out_h, out_w).to(input.dtype)


def _real_points(grid: Tensor, num_points: int) -> Tensor:
    """Which of the ``num_points`` padded points of each RoI are real, (K, G)."""
    return torch.arange(num_points, device=grid.device) < grid[:, None]


def _pool_adaptive(samples: Tensor, grid_y: Tensor, grid_x: Tensor, size_y: int,
                   size_x: int, mode: str) -> Tensor:
    """Pool the (K, C, ph, pw, G_y * G_x) padded samples of an adaptive grid of
    ``grid_y x grid_x`` real points per RoI (padding points are 0)."""
    if mode == 'avg':
        # torchvision divides by grid_y * grid_x, which is 0 (giving 0 / 0 = NaN)
        # or negative (giving -0) where an axis has no points; its gradient
        # there is 0
        count = (grid_y * grid_x)[:, None, None, None]
        empty = count == 0
        output = samples.sum(-1) / torch.where(empty, torch.ones_like(count), count)
        return torch.where(empty, torch.full_like(output, float('nan')), output)
    real = (_real_points(grid_y, size_y)[:, :, None]
            & _real_points(grid_x, size_x)[:, None, :]).flatten(1)
    output = samples.masked_fill(~real[:, None, None, None], float('-inf')).max(-1)[0]
    # an RoI without points pools 0
    no_points = ((grid_y <= 0) | (grid_x <= 0))[:, None, None, None]
    return torch.where(no_points, torch.zeros_like(output), output)


def _ps_roi_align_pytorch(input: Tensor,
                          boxes: Union[Tensor, List[Tensor]],
                          output_size: BroadcastingList2[int],
                          spatial_scale: float = 1.0,
                          sampling_ratio: int = -1,
                          mode: str = 'avg') -> Tensor:
    """Pure-PyTorch :func:`ps_roi_align`, vectorised over RoIs.

    Used when torchvision's op is unavailable or does not support the input, and
    callable directly (e.g. to test it against torchvision). Same arguments and
    result as :func:`ps_roi_align`. Gradients flow to ``input`` only (the boxes
    are detached), like the compiled ops.
    """
    rois, out_h, out_w = _prepare(input, boxes, output_size, sampling_ratio, mode)
    return _ps_roi_align_rois(input, rois, out_h, out_w, spatial_scale,
                              sampling_ratio, mode)


@torch.fx.wrap
def ps_roi_align(input: Tensor,
                 boxes: Union[Tensor, List[Tensor]],
                 output_size: BroadcastingList2[int],
                 spatial_scale: float = 1.0,
                 sampling_ratio: int = -1,
                 mode: str = 'avg') -> Tensor:
    """Position-sensitive RoIAlign.

    Each RoI is divided into ``output_size`` bins; bin (i, j) of output channel c
    is pooled from input channel ``(c * ph + i) * pw + j`` only (the channel order
    of torchvision and of the Light-Head R-CNN release). A bin is pooled from a
    grid of points at the centres of equal sub-cells, each bilinearly
    interpolated; a point more than one pixel outside the feature map reads 0, a
    point within one pixel is clamped onto the map. The grid is
    ``sampling_ratio x sampling_ratio`` points, or, for ``sampling_ratio <= 0``
    (adaptive, torchvision's rule), ``ceil(roi_h / ph) x ceil(roi_w / pw)`` points
    per RoI, RoI sizes measured on the feature map.

    - ``mode='avg'``: mean of the points, with the aligned convention (pixel
      centres at +0.5, so the scaled coordinates are shifted by -0.5).
      ``torchvision.ops.ps_roi_align`` with the same arguments, which is called
      when it is available and supports the input (CPU / CUDA, float16 / 32 /
      64); otherwise the pure-PyTorch implementation runs. Like torchvision's
      kernel, adaptive sampling gives NaN for an RoI of zero width or height (0
      points / 0) and 0 for an inverted one.
    - ``mode='max'``: maximum of the points, with the scaled coordinates used as
      they are (no -0.5 shift): the PSAlign pooling of the official Light-Head
      R-CNN release. Pure PyTorch; the gradient goes to the maximal point.
      Adaptive sampling uses the same grid rule; an RoI without points (zero or
      negative width or height) pools 0.

    Adaptive sampling needs the RoIs to size its grid, so the pure-PyTorch path
    refuses it under tracing and export (where avg mode runs it too, as
    torchvision's op has no ONNX conversion); use a positive ``sampling_ratio``
    there.

    Args:
        input (Tensor): Feature map, shape (N, C, H, W), where
            ``C = out_channels * ph * pw``.
        boxes (Tensor | list[Tensor]): RoIs, shape (K, 5), rows
            ``[batch_idx, x1, y1, x2, y2]`` in input-image coordinates (mmdet's
            ``bbox2roi`` format); or, as torchvision accepts, a list with one
            (K_i, 4) tensor of ``[x1, y1, x2, y2]`` per image (at most N).
            Cast to the dtype of ``input``; no gradient flows to them.
        output_size (int | tuple[int, int]): Bins per RoI, ``(ph, pw)``.
        spatial_scale (float): Scale from image to feature-map coordinates, e.g.
            1/16 for a stride-16 map. Default: 1.0.
        sampling_ratio (int): Sampling points per bin along each axis; ``<= 0``
            for the adaptive grid. Default: -1 (torchvision's).
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
        >>> ps_roi_align(feats, [rois[:1, 1:], rois[1:, 1:]], 7, 1 / 16, 2).shape
        torch.Size([2, 10, 7, 7])
    """
    rois, out_h, out_w = _prepare(input, boxes, output_size, sampling_ratio, mode)
    use_torchvision = mode == 'avg'
    if not torch.jit.is_scripting():
        # torchvision's op has no ONNX conversion: exports trace a pure-PyTorch
        # path, grid_sample where it applies (avg, fixed sampling)
        exporting = torch.onnx.is_in_onnx_export()
        if exporting and mode == 'avg' and sampling_ratio > 0:
            return _ps_roi_align_grid_sample(input, rois, out_h, out_w,
                                             spatial_scale, sampling_ratio)
        use_torchvision = use_torchvision and not exporting
    if use_torchvision:
        output = _tv_ps_roi_align(input, rois, out_h, out_w, spatial_scale,
                                  sampling_ratio)
        if output is not None:
            return output
    return _ps_roi_align_rois(input, rois, out_h, out_w, spatial_scale,
                              sampling_ratio, mode)


class PSRoIAlign(nn.Module):
    """Position-sensitive RoIAlign layer, see :func:`ps_roi_align`.

    torchvision's ``PSRoIAlign(output_size, spatial_scale, sampling_ratio)``,
    with ``mode`` added last. Like torchvision's, ``sampling_ratio`` has no
    default (before this signature it defaulted to 2).

    Args:
        output_size (int | tuple[int, int]): Bins per RoI, ``(ph, pw)``.
        spatial_scale (float): Scale from image to feature-map coordinates.
        sampling_ratio (int): Sampling points per bin along each axis; ``<= 0``
            for torchvision's adaptive grid.
        mode (str): ``'avg'`` (torchvision's op) or ``'max'`` (Light-Head R-CNN's
            PSAlign pooling). Default: ``'avg'``.

    Shape:
        - input: (N, out_channels * ph * pw, H, W)
        - rois: (K, 5), rows ``[batch_idx, x1, y1, x2, y2]``, or a list of
          per-image (K_i, 4) boxes
        - output: (K, out_channels, ph, pw)

    Example:
        >>> import torch
        >>> layer = PSRoIAlign(7, spatial_scale=0.5, sampling_ratio=2, mode='max')
        >>> layer
        PSRoIAlign(output_size=(7, 7), spatial_scale=0.5, sampling_ratio=2, mode='max')
        >>> feats = torch.rand(1, 10 * 7 * 7, 32, 32)
        >>> layer(feats, torch.tensor([[0., 4., 4., 60., 50.]])).shape
        torch.Size([1, 10, 7, 7])
    """

    def __init__(self,
                 output_size: Union[int, Tuple[int, int]],
                 spatial_scale: float,
                 sampling_ratio: int,
                 mode: str = 'avg') -> None:
        super().__init__()
        # fail at build time rather than at the first forward
        _check_config_types(output_size, sampling_ratio, mode)
        self.output_size = _check_config(_pair(output_size), mode)
        self.spatial_scale = float(spatial_scale)
        self.sampling_ratio = int(sampling_ratio)
        self.mode = mode

    def forward(self, input: Tensor, rois: Union[Tensor, List[Tensor]]) -> Tensor:
        return ps_roi_align(input, rois, self.output_size, self.spatial_scale,
                            self.sampling_ratio, self.mode)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(output_size={self.output_size}, '
                f'spatial_scale={self.spatial_scale}, '
                f'sampling_ratio={self.sampling_ratio}, mode={self.mode!r})')
