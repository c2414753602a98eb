# Schedule and runtime of the detection demos on the generated shapes dataset
# (lighthead_shufflenetv2_shapes_demo.py, thundernet_snet146_shapes_demo.py):
# AdamW, lr 1e-3, batch 8, 600 iterations with a short warm-up and one step, on
# CPU in minutes, evaluated once at the end; mmdet's default runtime, adapted.
_base_ = ['mmdet::_base_/default_runtime.py']

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
# (shufflenet_backbones/engine/bad_sample_hook.py)
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
