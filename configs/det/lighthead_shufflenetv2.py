# Light-Head R-CNN, ShuffleNetV2 1x (~140 MFLOPs level of the V2 paper, Table 7),
# COCO 2017: train on train2017 (= trainval35k), test on val2017 (= minival).
_base_ = [
    '../_base_/models/lighthead_rcnn_shufflenetv2.py',
    '../_base_/datasets/coco_detection_checked.py',
    '../_base_/schedules/lighthead_sgd_1x.py', 'mmdet::_base_/default_runtime.py'
]
# the 16 images per iteration of the protocol: 8 GPUs x 2
train_dataloader = dict(batch_size=2)
# diverging runs stop at the first non-finite loss; checkpoints are never written
# with non-finite weights, and are written atomically
# (shufflenet_backbones/engine/hooks.py)
custom_hooks = [dict(type='StopOnNonFiniteLossHook'), dict(type='BadSampleHook')]
default_hooks = dict(checkpoint=dict(type='SafeCheckpointHook'))
