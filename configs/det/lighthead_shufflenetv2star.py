# Light-Head R-CNN, ShuffleNetV2* 1x (~140 MFLOPs level of the V2 paper, Table 7).
# No ImageNet weights for V2* are published anywhere, so the backbone starts from
# V2's of the same width (the checkpoint of lighthead_shufflenetv2.py) through
# PretrainedV2: every V2 weight copied, each extra depthwise conv + BN set to the
# identity, so that at iteration 0 V2* computes V2's features (BN frozen here).
# With V2* weights of your own (configs/cls/shufflenetv2star*_imagenet.py, then
# tools/model_converters/extract_backbone.py) write
# init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone.') instead.
_base_ = './lighthead_shufflenetv2.py'

model = dict(
    backbone=dict(
        type='ShuffleNetV2Star',
        init_cfg=dict(
            type='PretrainedV2',
            checkpoint='checkpoints/shufflenetv2_x1_0.pth',
            prefix='backbone.')))
