# Light-Head R-CNN, ShuffleNetV2* 2x (~500 MFLOPs level of the V2 paper, Table 7).
# See lighthead_shufflenetv2star.py about the (self-pretrained) weights.
_base_ = './lighthead_shufflenetv2_2x.py'

model = dict(
    backbone=dict(
        type='ShuffleNetV2Star',
        init_cfg=dict(checkpoint='checkpoints/shufflenetv2star_x2_0.pth')))
