# Light FCN head (output stride 16), ShuffleNetV1 1x (g=3), COCO-Stuff164k. V1 has
# no conv5: the head takes stage 4 (960 ch), dilated 2 instead of strided.
_base_ = './fcn_shufflenetv2_os16_cocostuff164k.py'

norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    backbone=dict(
        _delete_=True,
        type='ShuffleNetV1',
        groups=3,
        widen_factor=1.0,
        out_indices=(2, ),  # stage4
        strides=(2, 2, 1),
        dilations=(1, 1, 2),
        frozen_stages=-1,
        norm_cfg=norm_cfg,
        norm_eval=False,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/shufflenetv1_g3_x1_0.pth',  # mmpretrain's
            prefix='backbone.')),
    decode_head=dict(in_channels=960))
