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
    '../_base_/datasets/synthetic_shapes.py', 'mmdet::_base_/default_runtime.py'
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
