# Mask R-CNN + FPN, ShuffleNetV2 1x, COCO 2017 instances (bbox and segm mAP),
# mmdet's 1x schedule.
_base_ = [
    '../_base_/models/mask_rcnn_fpn_shufflenetv2.py',
    '../_base_/datasets/coco_instance_checked.py',
    'mmdet::_base_/schedules/schedule_1x.py', 'mmdet::_base_/default_runtime.py'
]
# diverging runs stop at the first non-finite loss; checkpoints are never written
# with non-finite weights, and are written atomically
# (shufflenet_backbones/engine/hooks.py)
custom_hooks = [dict(type='StopOnNonFiniteLossHook'), dict(type='BadSampleHook')]
default_hooks = dict(checkpoint=dict(type='SafeCheckpointHook'))
