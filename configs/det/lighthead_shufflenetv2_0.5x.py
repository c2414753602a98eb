# Light-Head R-CNN, ShuffleNetV2 0.5x (~40 MFLOPs level of the V2 paper, Table 7).
_base_ = './lighthead_shufflenetv2.py'

model = dict(
    backbone=dict(
        widen_factor=0.5,
        init_cfg=dict(checkpoint='checkpoints/shufflenetv2_x0_5.pth')),
    neck=dict(in_channels=1024),
    rpn_head=dict(in_channels=96))
