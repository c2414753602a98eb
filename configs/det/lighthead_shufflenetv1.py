# Light-Head R-CNN, ShuffleNetV1 1x, g=3 (~140 MFLOPs level of the V2 paper, Table 7).
# V1 has no conv5: the thin map is made from stage4 (stride 32).
_base_ = './lighthead_shufflenetv2.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='ShuffleNetV1',
        groups=3,
        widen_factor=1.0,
        out_indices=(1, 2),  # stage3 (stride 16) for the RPN, stage4 for the thin map
        frozen_stages=0,
        norm_eval=True,
        init_cfg=dict(
            type='Pretrained',
            # mmpretrain's ShuffleNetV1 1x (g=3) ImageNet checkpoint loads as it is
            checkpoint='checkpoints/shufflenetv1_g3_x1_0.pth',
            prefix='backbone.')),
    neck=dict(in_channels=960),
    rpn_head=dict(in_channels=480))
