# ShuffleNet V1 1x, g=8 ImageNet-1k pretraining (Zhang et al., CVPR 2018), the
# recipe of configs/_base_/schedules/shufflenet_imagenet.py. Megvii's release of
# that recipe: 138 MFLOPs, 32.0% top-1 error.
_base_ = './shufflenetv1_g3_imagenet.py'

model = dict(backbone=dict(groups=8), head=dict(in_channels=1536))
