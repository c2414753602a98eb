# What the segmentation models on ShuffleNetV2 1x share: mmseg's EncoderDecoder on
# ImageNet-normalised input, and the backbone fine-tuned in full (BN included) from
# ImageNet weights. deeplabv3plus_shufflenetv2.py and fcn_shufflenetv2.py add the
# output stride (the backbone's strides / dilations / out_indices) and the heads.
custom_imports = dict(imports=['shufflenet_backbones'], allow_failed_imports=False)

# mmseg's default; a single-process run (no DDP) reverts it to BN by itself
norm_cfg = dict(type='SyncBN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    # torchvision / mmpretrain ImageNet statistics (RGB), those of the checkpoints
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='ShuffleNetV2',
        widen_factor=1.0,
        frozen_stages=-1,
        norm_cfg=norm_cfg,
        norm_eval=False,  # segmentation fine-tunes BN, as mmseg's backbones do
        init_cfg=dict(
            type='Pretrained',
            # python tools/model_converters/torchvision2shufflenet.py \
            #     shufflenet_v2_x1-5666bf0f80.pth checkpoints/shufflenetv2_x1_0.pth
            checkpoint='checkpoints/shufflenetv2_x1_0.pth',
            prefix='backbone.')),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
