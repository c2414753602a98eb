# Mask R-CNN + FPN, ShuffleNetV2 1x, COCO 2017 instances (bbox and segm mAP),
# mmdet's 1x schedule.
_base_ = [
    '../_base_/models/mask_rcnn_fpn_shufflenetv2.py',
    'mmdet::_base_/datasets/coco_instance.py',
    'mmdet::_base_/schedules/schedule_1x.py', 'mmdet::_base_/default_runtime.py'
]
