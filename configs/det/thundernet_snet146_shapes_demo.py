# ThunderNet with SNet146 trained from random init on the generated shapes
# dataset (configs/_base_/datasets/synthetic_shapes.py), on CPU, in minutes; the
# counterpart of lighthead_shufflenetv2_shapes_demo.py. Differences from the COCO
# setting (thundernet_snet146_coco.py), each to make learning visible in that
# budget:
# - no ImageNet weights: random init, plain BN trained;
# - 128x128 images at one scale (C4 8x8, C5 4x4); anchors of 32-128 px (15);
# - 100 proposals (500 before NMS) and 64 OHEM RoIs per image (1-2 objects
#   each);
# - AdamW, lr 1e-3, batch 8, a short iteration-based schedule.
_base_ = [
    '../_base_/models/thundernet_snet146.py',
    '../_base_/datasets/synthetic_shapes.py',
    '../_base_/schedules/shapes_demo_det.py'
]

model = dict(
    backbone=dict(init_cfg=None),
    rpn_head=dict(anchor_generator=dict(scales=[2, 4, 8])),
    roi_head=dict(bbox_head=dict(num_classes=3)),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=500, max_per_img=100),
        rcnn=dict(sampler=dict(num=64))),
    test_cfg=dict(rpn=dict(nms_pre=500, max_per_img=100)))
