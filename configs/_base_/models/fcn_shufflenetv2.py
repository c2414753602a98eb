# A light FCN head on ShuffleNetV2 1x at output stride 16: stage 4 keeps stride 1
# and is dilated 2, so conv5 (1024 ch) is at stride 16; one 3x3 conv of 128 ch and
# the classifier on it, upsampled 16x; no auxiliary head. On a 512x512 input the
# head costs 1.2 GFLOPs, the backbone 1.5 (mmengine's count, multiply-adds).
# (mmseg's LRASPPHead is not used: its image pooling is a fixed 49x49 AvgPool, which
# needs feature maps of at least 49x49, i.e. 784 px inputs at stride 16.)
_base_ = './encoder_decoder_shufflenetv2.py'

norm_cfg = dict(type='SyncBN', requires_grad=True)  # the head's, as the backbone's
model = dict(
    backbone=dict(
        out_indices=(3, ),  # conv5
        strides=(2, 2, 1),
        dilations=(1, 1, 2)),
    decode_head=dict(
        type='FCNHead',
        in_channels=1024,
        in_index=0,
        channels=128,
        num_convs=1,
        kernel_size=3,
        concat_input=False,
        dropout_ratio=0.1,
        num_classes=171,  # COCO-Stuff164k
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False,
                         loss_weight=1.0)))
