# ShuffleNet V1 1x, g=3 ImageNet-1k pretraining (Zhang et al., CVPR 2018), the
# recipe of configs/_base_/schedules/shufflenet_imagenet.py. Megvii's release of
# that recipe: 138 MFLOPs, 32.2% top-1 error. For configs/det/*shufflenetv1.py:
#
#   python tools/model_converters/extract_backbone.py \
#       work_dirs/shufflenetv1_g3_imagenet/iter_300000.pth \
#       checkpoints/shufflenetv1_g3_x1_0.pth
_base_ = './shufflenetv2_imagenet.py'

model = dict(
    backbone=dict(
        _delete_=True,
        # a bare 'ShuffleNetV1' would be mmpretrain's own class
        type='shufflenet_backbones.ShuffleNetV1',
        groups=3,
        widen_factor=1.0,
        out_indices=(2, )),  # stage4, V1's last layer (no conv5)
    head=dict(in_channels=960))
