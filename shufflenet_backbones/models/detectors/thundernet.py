from mmdet.models.detectors import TwoStageDetector

from ...registry import register_detection_model


@register_detection_model
class ThunderNet(TwoStageDetector):
    """ThunderNet (Qin et al., ICCV 2019): a two-stage detector for 320x320 input
    on an SNet backbone, with a Context Enhancement Module, a light RPN and a
    Spatial Attention Module feeding a PSRoIAlign R-CNN.

    It is mmdet's ``TwoStageDetector`` wired as follows (everything set from config):

    - ``backbone``: SNet outputs (C4 stride 16, C5 stride 32);
    - ``neck``: :class:`ThunderNetNeck` runs CEM, the light RPN's trunk and SAM
      and returns ``(F_SAM, F_RPN)``; F_RPN feeds both stages, which is why it is
      computed before the heads;
    - ``rpn_head``: :class:`LightRPNHead`, the RPN's 1x1 classification and
      regression convs on F_RPN with 25 anchors, mmdet's RPN machinery;
    - ``roi_head``: mmdet's ``StandardRoIHead`` with :class:`PSRoIExtractor`
      (7x7 bins, 5 channels) on F_SAM and a ``ConvFCBBoxHead`` with one 1024-d
      FC (the paper; two in the official code).

    The R-CNN's gradients reach the RPN trunk through SAM's product, as in the
    paper; SAM has no loss of its own. ``configs/det/thundernet_snet146_coco.py``
    is the reference setting.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not (self.with_neck and self.with_rpn):
            raise ValueError('ThunderNet needs a neck that returns (F_SAM, F_RPN) '
                             "and an RPN head, e.g. neck=dict(type='ThunderNetNeck', "
                             "...), rpn_head=dict(type='LightRPNHead', ...)")
