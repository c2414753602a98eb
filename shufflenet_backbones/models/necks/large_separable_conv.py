"""The thin feature map of Light-Head R-CNN (Li et al., 2017, Sec. 3.2)."""
from typing import Optional, Sequence, Tuple

import torch.nn as nn
from mmcv.cnn import ConvModule, build_activation_layer
from mmengine.model import BaseModule
from torch import Tensor

from ...registry import register_detection_model
from ..layers import check_odd_kernel


@register_detection_model
class LargeSeparableConv(BaseModule):
    """Large separable convolution making Light-Head R-CNN's thin feature map.

    Two paths over one backbone feature, summed: (k x 1 -> ``mid_channels``) then
    (1 x k -> ``out_channels``), and (1 x k -> ``mid_channels``) then
    (k x 1 -> ``out_channels``), "same" padding, then an activation. As a neck it
    returns the thin map *first*, followed by every backbone feature unchanged, so
    the R-CNN part (mmdet's RoI heads read the leading neck outputs) gets the thin
    map and the RPN can pick any backbone feature (see :class:`SelectRPNHead`).

    Args:
        in_channels (int): Channels of the feature it is computed from.
        in_index (int): Which backbone output that is. Default: -1 (the last).
        mid_channels (int): C_mid: 64 for the paper's small "S" setting, 256 for
            "L". Default: 64.
        out_channels (int): C_out = 10 x p x p for PSRoIAlign with p x p bins and 10
            output channels. Default: 490.
        kernel_size (int): k, odd. Default: 15.
        conv_cfg, norm_cfg (dict, optional): mmcv ``ConvModule`` configs.
            Defaults: None (plain conv with bias, as the paper).
        act_cfg (dict, optional): Activation after the sum. Default: ReLU.
        init_cfg (dict | list[dict], optional): Default: normal init, std 0.01.

    Shape:
        inputs: tuple of (N, C_i, H_i, W_i); ``inputs[in_index]`` has
        ``in_channels``. Output: ``((N, out_channels, H, W), *inputs)`` with H, W
        those of ``inputs[in_index]``.

    Example:
        >>> import torch
        >>> neck = LargeSeparableConv(in_channels=1024)
        >>> c4, c5 = torch.rand(1, 232, 50, 50), torch.rand(1, 1024, 25, 25)
        >>> thin, _, _ = neck((c4, c5))
        >>> tuple(thin.shape)
        (1, 490, 25, 25)
    """

    def __init__(self,
                 in_channels: int,
                 in_index: int = -1,
                 mid_channels: int = 64,
                 out_channels: int = 490,
                 kernel_size: int = 15,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: Optional[dict] = dict(type='ReLU'),
                 init_cfg=dict(type='Normal', layer='Conv2d', std=0.01)):
        super().__init__(init_cfg)
        check_odd_kernel(kernel_size, 'LargeSeparableConv: kernel_size')
        self.in_channels = in_channels
        self.in_index = in_index
        self.out_channels = out_channels
        pad = kernel_size // 2

        def conv(cin: int, cout: int, vertical: bool) -> ConvModule:
            size, padding = ((kernel_size, 1), (pad, 0)) if vertical else \
                ((1, kernel_size), (0, pad))
            return ConvModule(cin, cout, size, padding=padding, conv_cfg=conv_cfg,
                              norm_cfg=norm_cfg, act_cfg=None)

        self.col_path = nn.Sequential(
            conv(in_channels, mid_channels, vertical=True),
            conv(mid_channels, out_channels, vertical=False))
        self.row_path = nn.Sequential(
            conv(in_channels, mid_channels, vertical=False),
            conv(mid_channels, out_channels, vertical=True))
        self.act = build_activation_layer(act_cfg) if act_cfg else nn.Identity()

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor, ...]:
        x = inputs[self.in_index]
        if x.shape[1] != self.in_channels:
            raise ValueError(
                f'LargeSeparableConv: backbone output {self.in_index} has '
                f'{x.shape[1]} channels, in_channels says {self.in_channels}')
        thin = self.act(self.col_path(x) + self.row_path(x))
        return (thin, *inputs)
