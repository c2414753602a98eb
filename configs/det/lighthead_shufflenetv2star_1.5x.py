# Light-Head R-CNN, ShuffleNetV2* 1.5x (~300 MFLOPs level of the V2 paper, Table 7).
# Starts from V2's weights: see lighthead_shufflenetv2star.py.
_base_ = './lighthead_shufflenetv2_1.5x.py'

model = dict(
    backbone=dict(
        type='ShuffleNetV2Star',
        init_cfg=dict(
            type='PretrainedV2',
            checkpoint='checkpoints/shufflenetv2_x1_5.pth',
            prefix='backbone.')))
