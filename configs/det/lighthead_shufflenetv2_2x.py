# Light-Head R-CNN, ShuffleNetV2 2x (~500 MFLOPs level of the V2 paper, Table 7).
_base_ = './lighthead_shufflenetv2.py'

model = dict(
    backbone=dict(
        widen_factor=2.0,
        init_cfg=dict(checkpoint='checkpoints/shufflenetv2_x2_0.pth')),
    neck=dict(in_channels=2048),
    rpn_head=dict(in_channels=488))
