# Mask R-CNN + FPN, ShuffleNetV2* 1x. See lighthead_shufflenetv2star.py about the
# (self-pretrained) weights.
_base_ = './mask_rcnn_fpn_shufflenetv2.py'

model = dict(
    backbone=dict(
        type='ShuffleNetV2Star',
        init_cfg=dict(checkpoint='checkpoints/shufflenetv2star_x1_0.pth')))
