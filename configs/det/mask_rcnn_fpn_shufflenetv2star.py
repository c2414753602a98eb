# Mask R-CNN + FPN, ShuffleNetV2* 1x. Starts from V2's weights: see
# lighthead_shufflenetv2star.py.
_base_ = './mask_rcnn_fpn_shufflenetv2.py'

model = dict(
    backbone=dict(
        type='ShuffleNetV2Star',
        init_cfg=dict(
            type='PretrainedV2',
            checkpoint='checkpoints/shufflenetv2_x1_0.pth',
            prefix='backbone.')))
