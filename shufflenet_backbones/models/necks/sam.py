"""Spatial Attention Module of ThunderNet (Qin et al., ICCV 2019, Sec. 3.4)."""
from typing import Optional

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor

from ...registry import register_detection_model


@register_detection_model
class SpatialAttentionModule(BaseModule):
    """Spatial Attention Module (SAM): reweights a feature map by the RPN's.

    ``F_SAM = F_CEM * sigmoid(BN(conv1x1(F_RPN)))``: the RPN's intermediate
    feature, trained to tell foreground from background, gives every position and
    channel of the CEM map a weight in (0, 1). There is no loss of its own; the
    R-CNN's gradients reach the RPN through the product.

    Args:
        in_channels (int): Channels of F_RPN. Default: 256.
        out_channels (int): Channels of F_CEM (and F_SAM). Default: 245.
        norm_cfg (dict, optional): Norm after the 1x1 conv. Default: BN, as the
            paper and the official code (the conv then has no bias).
        init_cfg (dict | list[dict], optional): Default: None (``ConvModule``'s
            Kaiming init).

    Shape:
        feature: (N, out_channels, H, W); guide: (N, in_channels, H, W).
        Output: (N, out_channels, H, W).

    Example:
        >>> import torch
        >>> sam = SpatialAttentionModule(in_channels=256, out_channels=245)
        >>> f_cem, f_rpn = torch.rand(1, 245, 20, 20), torch.rand(1, 256, 20, 20)
        >>> tuple(sam(f_cem, f_rpn).shape)
        (1, 245, 20, 20)
    """

    def __init__(self,
                 in_channels: int = 256,
                 out_channels: int = 245,
                 norm_cfg: Optional[dict] = dict(type='BN'),
                 init_cfg=None):
        super().__init__(init_cfg)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.conv = ConvModule(in_channels, out_channels, 1, norm_cfg=norm_cfg,
                               act_cfg=None)
        self.gate = nn.Sigmoid()

    def forward(self, feature: Tensor, guide: Tensor) -> Tensor:
        if feature.shape[1] != self.out_channels or guide.shape[1] != self.in_channels:
            raise ValueError(
                f'SpatialAttentionModule: got a feature of {feature.shape[1]} '
                f'channels and a guide of {guide.shape[1]}; out_channels / '
                f'in_channels say {self.out_channels} / {self.in_channels}')
        return feature * self.gate(self.conv(guide))
