# DeepLabV3+ (output stride 8), ShuffleNetV2 1x, COCO-Stuff164k (171 classes):
# train on train2017, mIoU on val2017. mmseg's 80k schedule (SGD 0.01, poly) and
# 4 GPUs x 4 images of 512x512, as its COCO-Stuff164k configs.
_base_ = [
    '../_base_/models/deeplabv3plus_shufflenetv2.py',
    '../_base_/datasets/coco_stuff164k_checked.py',
    'mmseg::_base_/default_runtime.py', 'mmseg::_base_/schedules/schedule_80k.py'
]
crop_size = (512, 512)
# pads training batches to the crop size (as mmseg's COCO-Stuff164k configs)
model = dict(data_preprocessor=dict(size=crop_size))
# diverging runs stop at the first non-finite loss; checkpoints are never written
# with non-finite weights, and are written atomically
# (shufflenet_backbones/engine/hooks.py)
custom_hooks = [dict(type='StopOnNonFiniteLossHook')]
default_hooks = dict(checkpoint=dict(type='SafeCheckpointHook'))
