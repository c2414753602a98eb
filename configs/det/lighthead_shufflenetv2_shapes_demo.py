# The quickstart demo: Light-Head R-CNN with ShuffleNetV2 1x trained from random
# init on the generated shapes dataset, on CPU, in minutes. Differences from the
# COCO setting, each to make learning visible in that budget:
# - no ImageNet weights exist here: random init, BN trained (not frozen);
# - 128x128 images: stage 4 and conv5 dilated (output stride 16) so the thin map
#   has 8x8 cells instead of 4x4; anchors of 32-128 px;
# - the thin map's kernel is 7 (a 15-wide kernel would exceed the 8x8 map);
# - 100 proposals and 64 OHEM RoIs per image (1-2 objects each): the R-CNN FC
#   over every proposal would otherwise cost more than the backbone;
# - AdamW, lr 1e-3, batch 8, a short iteration-based schedule.
_base_ = [
    '../_base_/models/lighthead_rcnn_shufflenetv2.py',
    '../_base_/datasets/synthetic_shapes.py',
    '../_base_/schedules/shapes_demo_det.py'
]

model = dict(
    backbone=dict(
        strides=(2, 2, 1),
        dilations=(1, 1, 2),
        frozen_stages=-1,
        norm_eval=False,
        init_cfg=None),
    neck=dict(kernel_size=7),
    rpn_head=dict(anchor_generator=dict(scales=[2, 4, 8])),
    roi_head=dict(
        bbox_roi_extractor=dict(featmap_strides=[16]),
        bbox_head=dict(num_classes=3)),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=500, max_per_img=100),
        rcnn=dict(sampler=dict(num=64))),
    test_cfg=dict(rpn=dict(nms_pre=500, max_per_img=100)))
