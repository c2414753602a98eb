# DeepLabV3+ (output stride 8), ShuffleNetV2* 1x, COCO-Stuff164k. Widths are V2's;
# no ImageNet weights are published for V2*: pretrain it with mmpretrain
# (configs/cls/shufflenetv2star_imagenet.py), export the backbone to the file below
# with tools/model_converters/export_backbone.py, or set init_cfg=None.
_base_ = './deeplabv3plus_shufflenetv2_os8_cocostuff164k.py'

model = dict(
    backbone=dict(
        type='ShuffleNetV2Star',
        init_cfg=dict(checkpoint='checkpoints/shufflenetv2star_x1_0.pth')))
