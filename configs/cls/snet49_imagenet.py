# SNet49 ImageNet-1k pretraining, the fastest backbone of ThunderNet (Qin et al.,
# ICCV 2019): ShuffleNet V2 with 5x5 depthwise convs, stages 60 / 120 / 240 and a
# 512-channel conv5. The recipe of configs/cls/shufflenetv2_imagenet.py. 51 MFLOPs
# counted as the papers count (the paper says 49, see
# shufflenet_backbones.models.SNet).
#
#   python tools/train.py configs/cls/snet49_imagenet.py             # 8 x 128
#   python tools/model_converters/extract_backbone.py \
#       work_dirs/snet49_imagenet/iter_300000.pth \
#       checkpoints/snet49_imagenet.pth                         # for configs/det
_base_ = './shufflenetv2_imagenet.py'

model = dict(
    backbone=dict(
        _delete_=True,  # not V2's widen_factor
        type='shufflenet_backbones.SNet',
        arch=49,
        out_indices=(3, )),  # conv5
    head=dict(in_channels=512))
