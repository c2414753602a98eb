# The segmentation demo (tools/demo_segmentation.sh): the light FCN head on
# ShuffleNetV2 1x at output stride 16, trained from random init on the generated
# shapes dataset, on CPU, in a few minutes. Differences from the COCO-Stuff setting,
# each for that budget:
# - no ImageNet weights here: random init;
# - BN instead of SyncBN (one CPU process; SyncBN has no CPU kernel under DDP);
# - 4 classes and 128x128 images as they are (no resize / crop);
# - AdamW, lr 2e-3, batch 8, a short iteration-based schedule, val at the end.
_base_ = [
    '../_base_/models/fcn_shufflenetv2.py',
    '../_base_/datasets/synthetic_stuff.py', 'mmseg::_base_/default_runtime.py'
]

norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    data_preprocessor=dict(size=(128, 128)),
    backbone=dict(norm_cfg=norm_cfg, init_cfg=None),
    decode_head=dict(num_classes=4, norm_cfg=norm_cfg))

max_iters = 400
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=1e-4),
    clip_grad=dict(max_norm=10.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=30),
    dict(type='PolyLR', eta_min=1e-5, power=0.9, by_epoch=False, begin=30,
         end=max_iters)
]
# diverging runs stop at the first non-finite loss; checkpoints are never written
# with non-finite weights, and are written atomically
# (shufflenet_backbones/engine/hooks.py)
custom_hooks = [dict(type='StopOnNonFiniteLossHook')]
# mmseg keeps these in its schedule files, which the demo does not use
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='SafeCheckpointHook', by_epoch=False, interval=max_iters,
                    max_keep_ckpts=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # draw=True / interval=1 at test time saves every val image with its mask
    visualization=dict(type='SegVisualizationHook'))
# the drawn images scaled up from 128 to 512 px, label maps with them, so that the
# labels can be read
visualizer = dict(type='UpscaledSegLocalVisualizer', min_size=512)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)  # the same run, and the same mIoU, every time
