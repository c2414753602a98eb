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
    '../_base_/datasets/synthetic_shapes.py', 'mmdet::_base_/default_runtime.py'
]

model = dict(
    backbone=dict(init_cfg=None),
    rpn_head=dict(anchor_generator=dict(scales=[2, 4, 8])),
    roi_head=dict(bbox_head=dict(num_classes=3)),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=500, max_per_img=100),
        rcnn=dict(sampler=dict(num=64))),
    test_cfg=dict(rpn=dict(nms_pre=500, max_per_img=100)))

max_iters = 600
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4),
    clip_grad=dict(max_norm=10.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[int(max_iters * 0.8)], gamma=0.1)
]
# diverging runs stop at the first non-finite loss; checkpoints are never written
# with non-finite weights, and are written atomically
# (shufflenet_backbones/engine/hooks.py)
# bad input files: counted and listed, the run stops past 5 % of the training set,
# and validation logs skipped_images / images_evaluated
# (shufflenet_backbones/engine/bad_samples.py)
custom_hooks = [dict(type='StopOnNonFiniteLossHook'), dict(type='BadSampleHook')]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='SafeCheckpointHook', by_epoch=False, interval=200,
                    max_keep_ckpts=2))
log_processor = dict(by_epoch=False)
# the drawn test images (tools/test.py --show-dir, tools/infer.py) scaled up from
# 128 to 512 px, boxes with them, so that the labels can be read
visualizer = dict(type='UpscaledDetLocalVisualizer', min_size=512)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
auto_scale_lr = dict(enable=False, base_batch_size=8)
randomness = dict(seed=0)  # the same run, and the same mAP, every time
