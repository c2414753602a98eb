# Light-Head R-CNN, ShuffleNetV2 1.5x (~300 MFLOPs level of the V2 paper, Table 7).
_base_ = './lighthead_shufflenetv2.py'

model = dict(
    backbone=dict(
        widen_factor=1.5,
        init_cfg=dict(checkpoint='checkpoints/shufflenetv2_x1_5.pth')),
    neck=dict(in_channels=1024),
    rpn_head=dict(in_channels=352))
