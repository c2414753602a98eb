# Faster R-CNN + FPN, ShuffleNetV2 1x, COCO 2017, mmdet's 1x schedule.
_base_ = [
    '../_base_/models/faster_rcnn_fpn_shufflenetv2.py',
    'mmdet::_base_/datasets/coco_detection.py',
    'mmdet::_base_/schedules/schedule_1x.py', 'mmdet::_base_/default_runtime.py'
]
