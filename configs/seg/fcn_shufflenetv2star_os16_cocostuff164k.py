# Light FCN head (output stride 16), ShuffleNetV2* 1x, COCO-Stuff164k. Widths are
# V2's; no ImageNet weights are published for V2*, so it starts from V2's through
# PretrainedV2 (V2's weights, each extra depthwise conv + BN the identity: V2's
# features in eval mode; see configs/det/lighthead_shufflenetv2star.py). BN trains
# here, and in train mode the extra BN normalises with batch statistics: training
# starts near, not exactly at, V2's function. With V2* weights of your own write
# type='Pretrained' and their file.
_base_ = './fcn_shufflenetv2_os16_cocostuff164k.py'

model = dict(
    backbone=dict(
        type='ShuffleNetV2Star',
        init_cfg=dict(
            type='PretrainedV2',
            checkpoint='checkpoints/shufflenetv2_x1_0.pth',
            prefix='backbone.')))
