# Light-Head R-CNN, ShuffleNetV2* 1x (~140 MFLOPs level of the V2 paper, Table 7).
# No ImageNet weights for V2* are published anywhere: pretrain the backbone with
# mmpretrain (type='shufflenet_backbones.ShuffleNetV2Star') and export it to the
# checkpoint below; tools/train.py says so while the file is missing.
_base_ = './lighthead_shufflenetv2.py'

model = dict(
    backbone=dict(
        type='ShuffleNetV2Star',
        init_cfg=dict(checkpoint='checkpoints/shufflenetv2star_x1_0.pth')))
