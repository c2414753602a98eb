# Light-Head R-CNN + ShuffleNetV2 1x trained from random init on real aerial
# photographs (deepforest's tree crowns, 200 px tiles; ../_base_/datasets/
# deepforest_trees.py), on CPU: the real-photo experiment of
# tools/analysis/benchmark_real_photos.py, beside mmdet's Faster R-CNN + FPN on
# mmpretrain's ShuffleNetV2 (faster_rcnn_fpn_mmpretrain_shufflenetv2_deepforest.py)
# with the same data, schedule and batch. Train on a folder of your own with
#     python tools/train.py configs/det/lighthead_shufflenetv2_deepforest.py --data DIR
# Differences from the COCO setting, each for small objects or for the budget:
# - random init, BN trained (no ImageNet weights can be fetched here);
# - stage 4 and conv5 dilated: the thin map at stride 16 (13x13 cells on a tile)
#   instead of 32, so that a 38 px crown covers more than one cell of it;
# - anchors of 32-128 px (scales 2, 4, 8 at stride 16), the crowns' range;
# - 300 proposals and 128 OHEM RoIs per image in training, 300 in test (the
#   reference gets the same): the 2048-FC over 2,000 RoIs would cost more than
#   the backbone, for a tile with a few crowns.
_base_ = [
    '../_base_/models/lighthead_rcnn_shufflenetv2.py',
    '../_base_/datasets/deepforest_trees.py',
    '../_base_/schedules/real_photos_det.py'
]

model = dict(
    backbone=dict(
        strides=(2, 2, 1),
        dilations=(1, 1, 2),
        frozen_stages=-1,
        norm_eval=False,
        init_cfg=None),
    rpn_head=dict(anchor_generator=dict(scales=[2, 4, 8])),
    roi_head=dict(
        bbox_roi_extractor=dict(featmap_strides=[16]),
        bbox_head=dict(num_classes=1)),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=2000, max_per_img=300),
        rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(rpn=dict(nms_pre=1000, max_per_img=300)))
