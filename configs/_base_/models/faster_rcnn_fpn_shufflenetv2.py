# Faster R-CNN + FPN (mmdet's) on ShuffleNetV2 1x: FPN over the stem (stride 4),
# stage2, stage3 and conv5 (stride 32), as ResNet's C2-C5.
_base_ = 'mmdet::_base_/models/faster-rcnn_r50_fpn.py'
custom_imports = dict(imports=['shufflenet_backbones'], allow_failed_imports=False)

model = dict(
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(
        _delete_=True,
        type='ShuffleNetV2',
        widen_factor=1.0,
        out_indices=(-1, 0, 1, 3),
        frozen_stages=0,
        norm_eval=True,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/shufflenetv2_x1_0.pth',
            prefix='backbone.')),
    neck=dict(in_channels=[24, 116, 232, 1024]))
