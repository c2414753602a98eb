from mmdet.models.detectors import TwoStageDetector

from ...registry import register_detection_model


@register_detection_model
class LightHeadRCNN(TwoStageDetector):
    """Light-Head R-CNN (Li et al., 2017): a two-stage detector whose R-CNN part is
    a thin feature map, position-sensitive RoI pooling and one FC layer.

    It is mmdet's ``TwoStageDetector`` wired as follows (everything set from config):

    - ``backbone`` outputs, e.g. (stage3 stride 16, conv5 stride 32);
    - ``neck``: :class:`LargeSeparableConv` turns one of them (``in_index``) into
      the thin map and returns ``(thin_map, *backbone_outputs)``;
    - ``rpn_head``: :class:`SelectRPNHead` reads the stride-16 feature
      (``in_indices``) with mmdet's RPN machinery;
    - ``roi_head``: mmdet's ``StandardRoIHead`` with :class:`PSRoIExtractor` on the
      thin map (the first neck output) and a ``ConvFCBBoxHead`` with one shared FC
      of 2048 channels (``num_shared_fcs=1``), OHEM sampling, mmdet's coders and
      losses.

    ``configs/det/lighthead_shufflenetv2.py`` is the reference setting.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.with_neck:
            raise ValueError('LightHeadRCNN needs a neck that makes the thin feature '
                             "map, e.g. neck=dict(type='LargeSeparableConv', ...)")
