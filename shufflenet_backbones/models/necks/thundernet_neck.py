"""Everything ThunderNet's two stages share: CEM, the light RPN's trunk and SAM."""
from typing import Optional, Sequence, Tuple

from mmengine.model import BaseModule
from torch import Tensor

from ...registry import register_detection_model
from ..dense_heads.light_rpn_head import LightRPNConv
from .cem import ContextEnhancementModule
from .sam import SpatialAttentionModule


@register_detection_model
class ThunderNetNeck(BaseModule):
    """CEM -> light RPN trunk -> SAM, returning ``(F_SAM, F_RPN)``.

    F_RPN, the light RPN's intermediate feature, is read by both stages: by the
    RPN's classification / regression layers (:class:`LightRPNHead`) and, through
    SAM, by the R-CNN. mmdet's ``TwoStageDetector`` hands the neck's outputs to
    both heads, so computing F_RPN here keeps the detector unchanged and the
    test-time graph a plain chain of convs, one sigmoid and one product. The
    R-CNN reads F_SAM, the first output (mmdet's RoI extractors read the leading
    neck outputs).

    Args:
        in_channels (Sequence[int]): Channels of C4 and C5 (the backbone's
            outputs), e.g. (264, 528) for SNet146.
        cem_channels (int): Channels of F_CEM and F_SAM: 5 x 7 x 7 for PSRoIAlign
            with 7 x 7 bins and 5 output channels. Default: 245.
        rpn_channels (int): Channels of F_RPN. Default: 256.
        rpn_kernel_size (int): The RPN's depthwise kernel. Default: 5.
        norm_cfg (dict, optional): Norm of the RPN trunk and of SAM (CEM has
            none). Default: BN.
        init_cfg (dict | list[dict], optional): Default: None: CEM's convs
            Xavier (as the official code), the others mmcv ``ConvModule``'s Kaiming
            init (the official code draws them from N(0, 0.01); each is followed
            by BN, so only the effective step size of training differs).

    Shape:
        inputs: ``(C4, C5)`` as for :class:`ContextEnhancementModule`, C4 of
        (N, in_channels[0], H, W). Output: ``((N, cem_channels, H, W),
        (N, rpn_channels, H, W))``.

    Example:
        >>> import torch
        >>> neck = ThunderNetNeck(in_channels=(264, 528))
        >>> c4, c5 = torch.rand(1, 264, 20, 20), torch.rand(1, 528, 10, 10)
        >>> f_sam, f_rpn = neck((c4, c5))
        >>> tuple(f_sam.shape), tuple(f_rpn.shape)
        ((1, 245, 20, 20), (1, 256, 20, 20))
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 cem_channels: int = 245,
                 rpn_channels: int = 256,
                 rpn_kernel_size: int = 5,
                 norm_cfg: Optional[dict] = dict(type='BN'),
                 init_cfg=None):
        super().__init__(init_cfg)
        self.cem_channels = cem_channels
        self.rpn_channels = rpn_channels
        self.cem = ContextEnhancementModule(in_channels, cem_channels)
        self.rpn_conv = LightRPNConv(cem_channels, rpn_channels, rpn_kernel_size,
                                     norm_cfg=norm_cfg)
        self.sam = SpatialAttentionModule(rpn_channels, cem_channels,
                                          norm_cfg=norm_cfg)

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor, Tensor]:
        f_cem, = self.cem(inputs)
        f_rpn = self.rpn_conv(f_cem)
        return self.sam(f_cem, f_rpn), f_rpn
