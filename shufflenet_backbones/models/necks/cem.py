"""Context Enhancement Module of ThunderNet (Qin et al., ICCV 2019, Sec. 3.3)."""
from typing import Sequence, Tuple

import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from ...registry import register_detection_model


@register_detection_model
class ContextEnhancementModule(BaseModule):
    """Context Enhancement Module (CEM): one stride-16 map from C4, C5 and the
    global context of C5.

    Each of C4, C5 and the global average of C5 goes through a 1x1 conv to
    ``out_channels``; the C5 branch is upsampled (nearest) to C4's size, the global
    branch is broadcast over it, and the three are summed. As in the official code
    the convs are plain (bias, no BN, no activation): the sum is linear, and the
    next layer (the light RPN's depthwise conv + BN) normalises it.

    Args:
        in_channels (Sequence[int]): Channels of C4 and C5, e.g. (264, 528) for
            SNet146, (120, 512) for SNet49 (C5 = its conv5).
        out_channels (int): Channels of the enhanced map: 245 = 5 x 7 x 7 for
            PSRoIAlign with 7 x 7 bins and 5 output channels. Default: 245.
        init_cfg (dict | list[dict], optional): Default: Xavier (uniform), as the
            official code.

    Shape:
        inputs: ``(C4, C5)``, (N, in_channels[0], H, W) and
        (N, in_channels[1], H5, W5), H5 and W5 any (C4's stride 16, C5's 32).
        Output: a 1-tuple ``((N, out_channels, H, W), )``.

    Example:
        >>> import torch
        >>> cem = ContextEnhancementModule(in_channels=(264, 528))
        >>> c4, c5 = torch.rand(1, 264, 20, 20), torch.rand(1, 528, 10, 10)
        >>> tuple(cem((c4, c5))[0].shape)
        (1, 245, 20, 20)
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 out_channels: int = 245,
                 init_cfg=dict(type='Xavier', layer='Conv2d',
                               distribution='uniform')):
        super().__init__(init_cfg)
        in_channels = tuple(in_channels)
        if len(in_channels) != 2:
            raise ValueError('ContextEnhancementModule: in_channels must give the '
                             f'channels of C4 and C5, got {in_channels}')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.c4_conv = nn.Conv2d(in_channels[0], out_channels, 1)
        self.c5_conv = nn.Conv2d(in_channels[1], out_channels, 1)
        self.global_conv = nn.Conv2d(in_channels[1], out_channels, 1)

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor]:
        if len(inputs) != 2:
            raise ValueError('ContextEnhancementModule: expects (C4, C5), got '
                             f'{len(inputs)} feature maps')
        for name, x, channels in zip(('C4', 'C5'), inputs, self.in_channels):
            if x.shape[1] != channels:
                raise ValueError(f'ContextEnhancementModule: {name} has '
                                 f'{x.shape[1]} channels, in_channels says '
                                 f'{channels}')
        c4, c5 = inputs
        local = self.c4_conv(c4)
        upsampled = F.interpolate(self.c5_conv(c5), size=local.shape[-2:],
                                  mode='nearest')
        # (N, C, 1, 1): broadcast over every position by the sum
        glob = self.global_conv(c5.mean(dim=(2, 3), keepdim=True))
        return (local + upsampled + glob, )
