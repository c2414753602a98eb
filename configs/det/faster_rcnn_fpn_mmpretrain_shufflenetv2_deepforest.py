# The reference of the real-photo experiment (tools/analysis/benchmark_real_photos.py):
# mmdet's Faster R-CNN + FPN on mmpretrain's own ShuffleNetV2 1x, as a user would
# write it without this package, from random init, with the data, schedule and
# batch of lighthead_shufflenetv2_deepforest.py. Only what the backbone forces is
# changed: mmpretrain's ShuffleNetV2 has no stride-4 output, so FPN runs over its
# three stages (strides 8, 16, 32; P6 and P7 by max-pooling), and the anchor scale
# is 4 so that the anchors keep mmdet's sizes (32 ... 512 px). And both detectors
# get the same proposals and RoIs per image (300 proposals, 128 RoIs in training,
# 300 proposals in test) instead of mmdet's COCO-sized 2,000 / 512 / 1,000: for a
# 200 px tile with a few crowns, and because the two 1024-FCs over 512 RoIs of 8
# tiles would take most of the budget (about 19 s per iteration here). The
# 256-channel FPN, the heads and the losses are mmdet's.
_base_ = [
    'mmdet::_base_/models/faster-rcnn_r50_fpn.py',
    '../_base_/datasets/deepforest_trees.py',
    '../_base_/schedules/real_photos_det.py'
]
custom_imports = dict(
    imports=['mmpretrain.models', 'shufflenet_backbones'], allow_failed_imports=False)

model = dict(
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(
        _delete_=True,
        type='mmpretrain.ShuffleNetV2',
        widen_factor=1.0,
        out_indices=(0, 1, 2),
        frozen_stages=-1,
        norm_eval=False,
        init_cfg=None),
    neck=dict(in_channels=[116, 232, 464], num_outs=5),
    rpn_head=dict(anchor_generator=dict(scales=[4], strides=[8, 16, 32, 64, 128])),
    roi_head=dict(
        bbox_roi_extractor=dict(featmap_strides=[8, 16, 32, 64]),
        bbox_head=dict(num_classes=1)),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=2000, max_per_img=300),
        rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(rpn=dict(nms_pre=1000, max_per_img=300)))
