# Light-Head R-CNN, ShuffleNetV2* 1.5x (~300 MFLOPs level of the V2 paper, Table 7).
# See lighthead_shufflenetv2star.py about the (self-pretrained) weights.
_base_ = './lighthead_shufflenetv2_1.5x.py'

model = dict(
    backbone=dict(
        type='ShuffleNetV2Star',
        init_cfg=dict(checkpoint='checkpoints/shufflenetv2star_x1_5.pth')))
