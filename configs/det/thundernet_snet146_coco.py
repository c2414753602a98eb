# ThunderNet, SNet146, COCO 2017 at 320x320: train on train2017 (= trainval35k),
# test on val2017 (= minival). The paper's recipe (Sec. 4.1; the schedule and the
# batch are as we recall them, check them against the paper before a long run):
# 4 GPUs x 16 images, SGD momentum 0.9, weight decay 1e-4, lr 0.01 for 300k
# iterations and 0.001 for 75k more; multi-scale training at 240 / 320 / 480;
# OHEM; Soft-NMS at test time; cross-GPU BN (SyncBN).
# The official code (qinzheng93/ThunderNet, config/ThunderNet.py) differs:
# - R-CNN with two 1024-d FCs: model.roi_head.bbox_head.num_shared_fcs=2;
# - 512 RoIs per image at 25 % positives drawn at random, no OHEM;
# - one GPU, batch 64, plain BN;
# - SSD-style augmentation (photometric distortion, expand up to 4x, min-IoU
#   crop), then resize to 240 / 360 / 480;
# - 80 epochs of the training set repeated 5 times, lr x0.1 after epochs 40 and
#   60, warm-up from 0.001 over 500 iterations.
# Both use the max-mode PSRoIAlign of the official kernel (see the model base).
_base_ = [
    '../_base_/models/thundernet_snet146.py',
    '../_base_/datasets/coco_detection_checked.py', 'mmdet::_base_/default_runtime.py'
]

norm_cfg = dict(type='SyncBN', requires_grad=True)  # one process: plain BN
model = dict(backbone=dict(norm_cfg=norm_cfg), neck=dict(norm_cfg=norm_cfg))

# squares without keeping the aspect ratio, as the paper's 320x320 input and the
# official pipeline; one of the three scales per image
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='RandomChoiceResize', scales=[(240, 240), (320, 320), (480, 480)],
         keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(320, 320), keep_ratio=False),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]
# 16 images per GPU x 4 GPUs
train_dataloader = dict(batch_size=16, num_workers=4,
                        dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

max_iters = 375000
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=25000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[300000], gamma=0.1)
]
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001))
auto_scale_lr = dict(enable=False, base_batch_size=64)

# diverging runs stop at the first non-finite loss; checkpoints are never written
# with non-finite weights, and are written atomically
# (shufflenet_backbones/engine/hooks.py); bad input files are counted and listed
# (shufflenet_backbones/engine/bad_sample_hook.py)
custom_hooks = [dict(type='StopOnNonFiniteLossHook'), dict(type='BadSampleHook')]
default_hooks = dict(
    checkpoint=dict(type='SafeCheckpointHook', by_epoch=False, interval=25000,
                    max_keep_ckpts=3))
log_processor = dict(by_epoch=False)
