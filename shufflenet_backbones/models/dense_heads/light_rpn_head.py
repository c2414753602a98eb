"""The light RPN of ThunderNet (Qin et al., ICCV 2019, Sec. 3.2)."""
from typing import Optional, Sequence, Tuple

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor

from ...registry import register_detection_model
from ..layers import check_odd_kernel
from .select_rpn_head import SelectRPNHead

# 5 scales x 5 aspect ratios (height / width) at stride 16: 32 ... 512 px squares
THUNDERNET_ANCHORS = dict(
    type='AnchorGenerator',
    scales=[2, 4, 8, 16, 32],
    ratios=[0.5, 0.75, 1.0, 4 / 3, 2.0],
    strides=[16])


class LightRPNConv(BaseModule):
    """The light RPN's trunk: a k x k depthwise conv and a 1x1 conv.

    It replaces Faster R-CNN's 3x3 x 256 RPN conv at a fraction of its cost. Each
    conv is followed by BN and ReLU, as in the official code. Its output is
    F_RPN, which both the RPN's classification / regression layers
    (:class:`LightRPNHead`) and the Spatial Attention Module read; that is why
    :class:`~shufflenet_backbones.models.necks.ThunderNetNeck` runs it.

    Args:
        in_channels (int): Channels of the input (the CEM map, 245).
        out_channels (int): Channels of F_RPN. Default: 256.
        kernel_size (int): Depthwise kernel, odd. Default: 5.
        norm_cfg (dict, optional): Default: BN (the convs then have no bias).
        act_cfg (dict, optional): Default: ReLU.
        init_cfg (dict | list[dict], optional): Default: None (``ConvModule``'s
            Kaiming init; the official code draws from N(0, 0.01), which with BN
            after each conv changes only the effective step size).

    Shape:
        x: (N, in_channels, H, W). Output: (N, out_channels, H, W).

    Example:
        >>> import torch
        >>> trunk = LightRPNConv(in_channels=245)
        >>> tuple(trunk(torch.rand(1, 245, 20, 20)).shape)
        (1, 256, 20, 20)
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int = 256,
                 kernel_size: int = 5,
                 norm_cfg: Optional[dict] = dict(type='BN'),
                 act_cfg: Optional[dict] = dict(type='ReLU'),
                 init_cfg=None):
        super().__init__(init_cfg)
        check_odd_kernel(kernel_size, 'LightRPNConv: kernel_size')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.depthwise = ConvModule(in_channels, in_channels, kernel_size,
                                    padding=kernel_size // 2, groups=in_channels,
                                    norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.pointwise = ConvModule(in_channels, out_channels, 1, norm_cfg=norm_cfg,
                                    act_cfg=act_cfg)

    def forward(self, x: Tensor) -> Tensor:
        return self.pointwise(self.depthwise(x))


@register_detection_model
class LightRPNHead(SelectRPNHead):
    """ThunderNet's RPN classification and regression layers on F_RPN.

    mmdet's ``RPNHead`` (anchors, targets, losses, proposals) with its 3x3 conv
    removed: the light RPN's trunk (:class:`LightRPNConv`) runs in
    :class:`~shufflenet_backbones.models.necks.ThunderNetNeck`, which outputs
    ``(F_SAM, F_RPN)``; this head reads F_RPN (``in_indices``) and applies one 1x1
    conv for the objectness scores and one for the box deltas. The default anchors
    are the paper's 25: scales 32, 64, 128, 256, 512 px times aspect ratios 1:2,
    3:4, 1:1, 4:3, 2:1, at stride 16.

    Args:
        in_channels (int): Channels of F_RPN. Default: 256.
        in_indices (Sequence[int]): Position of F_RPN in the neck outputs.
            Default: (1, ).
        anchor_generator (dict): Default: the paper's 25 anchors at stride 16.
        **kwargs: Everything ``RPNHead`` takes but ``feat_channels`` (there is no
            intermediate conv; it equals ``in_channels``).

    Shape:
        x: tuple whose ``in_indices`` entry is (N, in_channels, H, W).
        Output: ``([(N, A, H, W)], [(N, 4 A, H, W)])`` with A anchors per position
        (25), one-element lists (one level).

    Example:
        >>> import torch
        >>> head = LightRPNHead()
        >>> f_sam, f_rpn = torch.rand(1, 245, 20, 20), torch.rand(1, 256, 20, 20)
        >>> scores, deltas = head((f_sam, f_rpn))
        >>> tuple(scores[0].shape), tuple(deltas[0].shape)
        ((1, 25, 20, 20), (1, 100, 20, 20))
    """

    def __init__(self,
                 in_channels: int = 256,
                 in_indices: Sequence[int] = (1, ),
                 anchor_generator: dict = THUNDERNET_ANCHORS,
                 **kwargs):
        if 'feat_channels' in kwargs:
            raise ValueError('LightRPNHead: feat_channels is not an argument (the '
                             'head has no intermediate conv); set in_channels, the '
                             'channels of F_RPN')
        super().__init__(in_channels=in_channels, feat_channels=in_channels,
                         in_indices=in_indices, anchor_generator=anchor_generator,
                         **kwargs)

    def _init_layers(self) -> None:
        self.rpn_cls = nn.Conv2d(self.in_channels,
                                 self.num_base_priors * self.cls_out_channels, 1)
        self.rpn_reg = nn.Conv2d(self.in_channels,
                                 self.num_base_priors * self.bbox_coder.encode_size,
                                 1)

    def forward_single(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        return self.rpn_cls(x), self.rpn_reg(x)
