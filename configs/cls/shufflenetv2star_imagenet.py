# ShuffleNet V2* 1x ImageNet-1k pretraining: V2 with an extra 3x3 depthwise conv
# per unit, the V2 paper's detection backbone (Sec. 4). The paper publishes no
# ImageNet weights for it; this trains them with V2's recipe, for
# configs/det/*shufflenetv2star*.py:
#
#   python tools/model_converters/extract_backbone.py \
#       work_dirs/shufflenetv2star_imagenet/iter_300000.pth \
#       checkpoints/shufflenetv2star_x1_0.pth
_base_ = './shufflenetv2_imagenet.py'

model = dict(backbone=dict(type='shufflenet_backbones.ShuffleNetV2Star'))
