# DeepLabV3+ (output stride 8), ShuffleNetV1 1x (g=3), COCO-Stuff164k. V1 has no
# conv5: the ASPP takes stage 4 (960 ch), the auxiliary head stage 3 (480 ch).
_base_ = './deeplabv3plus_shufflenetv2_os8_cocostuff164k.py'

norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    backbone=dict(
        _delete_=True,
        type='ShuffleNetV1',
        groups=3,
        widen_factor=1.0,
        out_indices=(-1, 1, 2),  # stem (c1), stage3 (auxiliary), stage4 (ASPP)
        strides=(2, 1, 1),
        dilations=(1, 2, 4),
        frozen_stages=-1,
        norm_cfg=norm_cfg,
        norm_eval=False,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/shufflenetv1_g3_x1_0.pth',  # mmpretrain's
            prefix='backbone.')),
    decode_head=dict(in_channels=960, c1_in_channels=24),
    auxiliary_head=dict(in_channels=480))
