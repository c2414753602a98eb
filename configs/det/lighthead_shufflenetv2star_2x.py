# Light-Head R-CNN, ShuffleNetV2* 2x (~500 MFLOPs level of the V2 paper, Table 7).
# Starts from V2's weights: see lighthead_shufflenetv2star.py.
_base_ = './lighthead_shufflenetv2_2x.py'

model = dict(
    backbone=dict(
        type='ShuffleNetV2Star',
        init_cfg=dict(
            type='PretrainedV2',
            checkpoint='checkpoints/shufflenetv2_x2_0.pth',
            prefix='backbone.')))
