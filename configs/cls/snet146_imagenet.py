# SNet146 ImageNet-1k pretraining, the backbone of ThunderNet (Qin et al., ICCV
# 2019): ShuffleNet V2 with 5x5 depthwise convs, stages 132 / 264 / 528, no conv5.
# The recipe of configs/cls/shufflenetv2_imagenet.py (Megvii's ShuffleNet V2 one,
# which the official SNet146 training code also uses: batch 1024, lr 0.5 decayed
# linearly over 300k iterations). 161 MFLOPs counted as the papers count (the
# paper says 146, see shufflenet_backbones.models.SNet); the official code's
# SNet146 reaches 32.2% top-1 error with it (its snet-training/README.md).
#
#   python tools/train.py configs/cls/snet146_imagenet.py            # 8 x 128
#   python tools/model_converters/extract_backbone.py \
#       work_dirs/snet146_imagenet/iter_300000.pth \
#       checkpoints/snet146_imagenet.pth                        # for configs/det
_base_ = './shufflenetv2_imagenet.py'

model = dict(
    backbone=dict(
        _delete_=True,  # not V2's widen_factor
        type='shufflenet_backbones.SNet',
        arch=146,
        out_indices=(2, )),  # stage 4, its last output
    head=dict(in_channels=528))
