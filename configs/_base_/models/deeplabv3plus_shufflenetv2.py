# DeepLabV3+ on ShuffleNetV2 1x at output stride 8 (mmseg's deeplabv3plus_r50-d8
# recipe with the ResNet swapped out):
# - stage 3 and 4 keep stride 1 and are dilated 2 / 4, so the last feature (conv5,
#   1024 ch) is at stride 8, where the ASPP works;
# - the decoder's low-level feature c1 is the stem (24 ch, stride 4);
# - an auxiliary FCN head on stage 3 (stride 8 too) for training only, as mmseg does.
# On a 512x512 input the backbone costs 5.2 GFLOPs, the head 19.8 (mmengine's count,
# multiply-adds), most of it mmseg's dense 3x3 conv after the ASPP at stride 8.
_base_ = './encoder_decoder_shufflenetv2.py'

norm_cfg = dict(type='SyncBN', requires_grad=True)  # the heads', as the backbone's
model = dict(
    backbone=dict(
        out_indices=(-1, 1, 3),  # stem (c1), stage3 (auxiliary), conv5 (ASPP)
        strides=(2, 1, 1),
        dilations=(1, 2, 4)),
    decode_head=dict(
        type='DepthwiseSeparableASPPHead',
        in_channels=1024,
        in_index=2,  # conv5; the head takes c1 from inputs[0], the stem
        channels=256,  # the DeepLabV3 papers' ASPP width (512 in mmseg's ResNets)
        dilations=(1, 12, 24, 36),  # the rates for output stride 8
        c1_in_channels=24,
        c1_channels=48,
        dropout_ratio=0.1,
        num_classes=171,  # COCO-Stuff164k
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False,
                         loss_weight=1.0)),
    auxiliary_head=dict(
        type='FCNHead',
        in_channels=232,
        in_index=1,  # stage3
        channels=256,
        num_convs=1,
        concat_input=False,
        dropout_ratio=0.1,
        num_classes=171,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False,
                         loss_weight=0.4)))
