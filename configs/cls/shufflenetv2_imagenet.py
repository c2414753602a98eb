# ShuffleNet V2 1x ImageNet-1k pretraining (Ma et al., ECCV 2018), the recipe of
# configs/_base_/schedules/shufflenet_imagenet.py. Megvii's release of that
# recipe: 146 MFLOPs, 30.6% top-1 error.
#
#   python tools/train.py configs/cls/shufflenetv2_imagenet.py       # 8 x 128
#   python tools/model_converters/extract_backbone.py \
#       work_dirs/shufflenetv2_imagenet/iter_300000.pth \
#       checkpoints/shufflenetv2_x1_0.pth                          # for configs/det
_base_ = [
    '../_base_/datasets/imagenet_bs1024.py',
    '../_base_/schedules/shufflenet_imagenet.py',
    'mmpretrain::_base_/default_runtime.py',
]
# The schedule counts iterations: so do checkpoints and logs (mmpretrain's runtime
# counts epochs; this key is set here because bases may not share keys).
# diverging runs stop at the first non-finite loss; checkpoints are never written
# with non-finite weights, and are written atomically
# (shufflenet_backbones/engine/hooks.py)
custom_hooks = [dict(type='StopOnNonFiniteLossHook')]
default_hooks = dict(
    checkpoint=dict(type='SafeCheckpointHook', by_epoch=False, interval=10000,
                    max_keep_ckpts=3))
log_processor = dict(by_epoch=False)

custom_imports = dict(imports=['shufflenet_backbones'], allow_failed_imports=False)
default_scope = 'mmpretrain'

model = dict(
    type='ImageClassifier',
    # The scope prefix selects this package's class: a bare 'ShuffleNetV2' is
    # mmpretrain's own one.
    backbone=dict(type='shufflenet_backbones.ShuffleNetV2', widen_factor=1.0,
                  out_indices=(3, )),  # conv5
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=1024,
        # (1 - 0.1) * one-hot + 0.1 / num_classes, as Megvii's
        # CrossEntropyLabelSmooth ('original' mode)
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        topk=(1, 5)))
