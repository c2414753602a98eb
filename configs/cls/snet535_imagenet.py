# SNet535 ImageNet-1k pretraining, the largest backbone of ThunderNet (Qin et al.,
# ICCV 2019): ShuffleNet V2 with 5x5 depthwise convs, a 48-channel stem and stages
# 248 / 496 / 992, no conv5. The recipe of configs/cls/shufflenetv2_imagenet.py.
# 535 MFLOPs, as the paper says.
#
#   python tools/train.py configs/cls/snet535_imagenet.py            # 8 x 128
#   python tools/model_converters/extract_backbone.py \
#       work_dirs/snet535_imagenet/iter_300000.pth \
#       checkpoints/snet535_imagenet.pth                        # for configs/det
_base_ = './shufflenetv2_imagenet.py'

model = dict(
    backbone=dict(
        _delete_=True,  # not V2's widen_factor
        type='shufflenet_backbones.SNet',
        arch=535,
        out_indices=(2, )),  # stage 4, its last output
    head=dict(in_channels=992))
