# Schedule of the real-photo experiment (tools/analysis/benchmark_real_photos.py):
# the shapes demos' (AdamW, lr 1e-3, batch 8, warm-up, one step at 80 %, seed 0),
# shorter than the demos in iterations (500) but with far more objects per image:
# the reference takes about 4 s per iteration of 8 tiles here, 35 minutes in all.
_base_ = ['./shapes_demo_det.py']

max_iters = 500
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[int(max_iters * 0.8)], gamma=0.1)
]
