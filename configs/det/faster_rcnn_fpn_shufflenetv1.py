# Faster R-CNN + FPN, ShuffleNetV1 1x (g=3): FPN over stem, stages 2, 3 and 4.
_base_ = './faster_rcnn_fpn_shufflenetv2.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='ShuffleNetV1',
        groups=3,
        widen_factor=1.0,
        out_indices=(-1, 0, 1, 2),
        frozen_stages=0,
        norm_eval=True,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/shufflenetv1_g3_x1_0.pth',
            prefix='backbone.')),
    neck=dict(in_channels=[24, 240, 480, 960]))
