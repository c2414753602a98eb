# Faster R-CNN + FPN, ShuffleNetV2 1x, COCO 2017, mmdet's 1x schedule.
_base_ = [
    '../_base_/models/faster_rcnn_fpn_shufflenetv2.py',
    '../_base_/datasets/coco_detection_checked.py',
    'mmdet::_base_/schedules/schedule_1x.py', 'mmdet::_base_/default_runtime.py'
]
# diverging runs stop at the first non-finite loss; checkpoints are never written
# with non-finite weights, and are written atomically
# (shufflenet_backbones/engine/hooks.py)
custom_hooks = [dict(type='StopOnNonFiniteLossHook'), dict(type='BadSampleHook')]
default_hooks = dict(checkpoint=dict(type='SafeCheckpointHook'))
