# Light-Head R-CNN, ShuffleNetV2* 0.5x (~40 MFLOPs level of the V2 paper, Table 7).
# See lighthead_shufflenetv2star.py about the (self-pretrained) weights.
_base_ = './lighthead_shufflenetv2_0.5x.py'

model = dict(
    backbone=dict(
        type='ShuffleNetV2Star',
        init_cfg=dict(checkpoint='checkpoints/shufflenetv2star_x0_5.pth')))
