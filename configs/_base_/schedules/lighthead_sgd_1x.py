# Light-Head R-CNN's optimisation: SGD momentum 0.9, weight decay 1e-4, 16 images
# per iteration (2 x 8 GPUs), lr 0.01, 500-iteration warm-up from 1/3, lr x0.1 and
# x0.01 late in training (here after epochs 8 and 11 of 12).
_base_ = 'mmdet::_base_/schedules/schedule_1x.py'

param_scheduler = [
    dict(type='LinearLR', start_factor=1.0 / 3, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', begin=0, end=12, by_epoch=True, milestones=[8, 11],
         gamma=0.1)
]
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001))
auto_scale_lr = dict(enable=False, base_batch_size=16)
