"""The building units of ShuffleNet V1 and V2 (V2* is V2 with one extra conv;
ThunderNet's SNet is V2 with 5x5 depthwise convs).

Attribute names follow mmpretrain's ``ShuffleUnit`` and ``InvertedResidual`` so
that mmpretrain checkpoints load unchanged.
"""
from typing import Optional

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule, build_activation_layer
from torch import Tensor

from .activation_checkpoint import checkpointed
from .channel_shuffle import channel_shuffle, concat_shuffle
from .kernel_size import check_odd_kernel

ConfigDict = Optional[dict]


def _depthwise(channels: int, stride: int, dilation: int, conv_cfg: ConfigDict,
               norm_cfg: ConfigDict, kernel_size: int = 3) -> ConvModule:
    """Depthwise conv (3x3 in both papers, 5x5 in ThunderNet's SNet) + BN, no
    activation; padded to keep the size (``ceil(size / stride)``) at any dilation."""
    return ConvModule(
        channels,
        channels,
        kernel_size=kernel_size,
        stride=stride,
        padding=dilation * (kernel_size // 2),
        dilation=dilation,
        groups=channels,
        conv_cfg=conv_cfg,
        norm_cfg=norm_cfg,
        act_cfg=None)


def _pointwise(in_channels: int, out_channels: int, groups: int,
               conv_cfg: ConfigDict, norm_cfg: ConfigDict,
               act_cfg: ConfigDict) -> ConvModule:
    return ConvModule(
        in_channels,
        out_channels,
        kernel_size=1,
        groups=groups,
        conv_cfg=conv_cfg,
        norm_cfg=norm_cfg,
        act_cfg=act_cfg)


class ShuffleV1Unit(nn.Module):
    """ShuffleNet V1 unit: 1x1 GConv -> 3x3 DWConv -> shuffle -> 1x1 GConv.

    A unit that keeps resolution and width adds its input back; a unit that
    downsamples (or, in a dilated stage, widens) concatenates a 3x3 average-pooled
    shortcut with a main branch of ``out_channels - in_channels`` channels.

    The paper shuffles before the depthwise conv; here the shuffle follows it, as in
    mmpretrain (whose checkpoints this must load). Depthwise conv and BN act on each
    channel alone, so the two orders describe the same functions up to a permutation
    of the depthwise weights.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels (bottleneck is ``out_channels // 4``).
        groups (int): Groups of the 1x1 convolutions.
        stride (int): Stride of the depthwise conv (1 or 2).
        dilation (int): Dilation of the depthwise conv.
        group_first_conv (bool): Group the first 1x1 conv. False only for the first
            unit of stage 2, whose input (the stem) is too thin to split.
        conv_cfg, norm_cfg, act_cfg (dict, optional): mmcv ``ConvModule`` configs.
        with_cp (bool): Use activation checkpointing.

    Shape:
        (N, in_channels, H, W) -> (N, out_channels, ceil(H / stride), ceil(W / stride))
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 groups: int,
                 stride: int = 1,
                 dilation: int = 1,
                 group_first_conv: bool = True,
                 conv_cfg: ConfigDict = None,
                 norm_cfg: ConfigDict = dict(type='BN'),
                 act_cfg: ConfigDict = dict(type='ReLU'),
                 with_cp: bool = False):
        super().__init__()
        self.groups = groups
        self.with_cp = with_cp
        self.concat = stride != 1 or in_channels != out_channels
        branch_channels = out_channels - in_channels if self.concat else out_channels
        bottleneck = out_channels // 4

        self.g_conv_1x1_compress = _pointwise(in_channels, bottleneck,
                                              groups if group_first_conv else 1,
                                              conv_cfg, norm_cfg, act_cfg)
        self.depthwise_conv3x3_bn = _depthwise(bottleneck, stride, dilation,
                                               conv_cfg, norm_cfg)
        self.g_conv_1x1_expand = _pointwise(bottleneck, branch_channels, groups,
                                            conv_cfg, norm_cfg, None)
        if self.concat:
            self.avgpool = nn.AvgPool2d(kernel_size=3, stride=stride, padding=1)
        self.act = build_activation_layer(act_cfg)

    def _forward(self, x: Tensor) -> Tensor:
        out = self.depthwise_conv3x3_bn(self.g_conv_1x1_compress(x))
        if self.groups > 1:
            out = channel_shuffle(out, self.groups)
        out = self.g_conv_1x1_expand(out)
        if self.concat:
            return torch.cat((self.avgpool(x), self.act(out)), dim=1)
        return self.act(out + x)

    def forward(self, x: Tensor) -> Tensor:
        if self.with_cp and torch.is_grad_enabled():
            return checkpointed(self, self._forward, x)
        return self._forward(x)


class ShuffleV2Unit(nn.Module):
    """ShuffleNet V2 unit (V2 paper Fig. 3 c/d), optionally with the V2* extra conv.

    A basic unit splits the channels in half, passes the first half through and
    transforms the second (1x1 -> 3x3 DW -> 1x1); a downsampling unit (or, in a
    dilated stage, the widening first unit) feeds the whole input to two branches
    (``branch1``: 3x3 DW -> 1x1; ``branch2``: 1x1 -> 3x3 DW -> 1x1). Halves are
    concatenated and shuffled with 2 groups (in one pass:
    :func:`concat_shuffle`).

    ``extra_depthwise`` (ShuffleNet V2*) adds a 3x3 depthwise conv + BN right
    before the first 1x1 conv of one branch. In a basic unit that is the start of
    ``branch2``. In a downsampling unit it is ``branch1``, between its stride-2
    depthwise conv and its 1x1 conv: there the extra conv works on the downsampled
    map, which keeps V2* within 4% of V2's FLOPs at every width (at stride 1 at the
    start of ``branch2`` it would cost 6% at 0.5x), and it widens that branch's
    receptive field from 3x3 to 7x7 input pixels. ``branch2`` of a downsampling
    unit keeps V2's layout.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels (each branch makes half).
        stride (int): Stride of the unit (1 or 2).
        dilation (int): Dilation of the depthwise convs.
        extra_depthwise (bool): Add the V2* depthwise conv.
        dw_kernel_size (int): Kernel size of every depthwise conv of the unit (the
            V2* one included), odd: 3 in ShuffleNet V2, 5 in ThunderNet's SNet.
            Default: 3.
        conv_cfg, norm_cfg, act_cfg (dict, optional): mmcv ``ConvModule`` configs.
        with_cp (bool): Use activation checkpointing.

    Shape:
        (N, in_channels, H, W) -> (N, out_channels, ceil(H / stride), ceil(W / stride))
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 dilation: int = 1,
                 extra_depthwise: bool = False,
                 dw_kernel_size: int = 3,
                 conv_cfg: ConfigDict = None,
                 norm_cfg: ConfigDict = dict(type='BN'),
                 act_cfg: ConfigDict = dict(type='ReLU'),
                 with_cp: bool = False):
        super().__init__()
        if out_channels % 2:
            raise ValueError(
                f'ShuffleV2Unit: out_channels must be even, got {out_channels}')
        check_odd_kernel(dw_kernel_size, 'ShuffleV2Unit: dw_kernel_size')
        self.with_cp = with_cp
        self.split = stride == 1 and in_channels == out_channels
        half = out_channels // 2
        branch2_in = half if self.split else in_channels

        # V2*: one extra depthwise conv right before the first 1x1 conv of a branch;
        # in a downsampling unit that is branch1's, after its stride-2 conv.
        extra = [_depthwise(branch2_in if self.split else in_channels, 1, dilation,
                            conv_cfg, norm_cfg, dw_kernel_size)
                 ] if extra_depthwise else []
        if not self.split:
            self.branch1 = nn.Sequential(
                _depthwise(in_channels, stride, dilation, conv_cfg, norm_cfg,
                           dw_kernel_size),
                *extra,
                _pointwise(in_channels, half, 1, conv_cfg, norm_cfg, act_cfg))
        self.branch2 = nn.Sequential(
            *(extra if self.split else []),
            _pointwise(branch2_in, half, 1, conv_cfg, norm_cfg, act_cfg),
            _depthwise(half, stride, dilation, conv_cfg, norm_cfg, dw_kernel_size),
            _pointwise(half, half, 1, conv_cfg, norm_cfg, act_cfg))

    def _forward(self, x: Tensor) -> Tensor:
        if self.split:
            # Slicing rather than chunk(): the same graph, and simpler to export.
            half = x.shape[1] // 2
            return concat_shuffle(x[:, :half], self.branch2(x[:, half:]))
        return concat_shuffle(self.branch1(x), self.branch2(x))

    def forward(self, x: Tensor) -> Tensor:
        if self.with_cp and torch.is_grad_enabled():
            return checkpointed(self, self._forward, x)
        return self._forward(x)
