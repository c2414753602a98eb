# ImageNet schedule of the ShuffleNet papers. V1 paper (Zhang et al., CVPR 2018,
# Sec. 4): batch 1024, 3x10^5 iterations, weight decay 4e-5, learning rate
# decayed linearly from 0.5 to 0. What the paper leaves out is taken from
# Megvii's released training code, which trains V1 and V2 alike
# (megvii-model/ShuffleNet-Series, ShuffleNetV1/train.py, ShuffleNetV2/utils.py):
# SGD momentum 0.9, no warm-up, no weight decay on 1-D parameters (BN and
# biases), label smoothing 0.1 (that one lives in the model's head loss).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.5, momentum=0.9, weight_decay=4e-5),
    # BN weights / biases and every bias: weight decay 0 (Megvii's
    # get_parameters() decays only the >= 2-D weights, i.e. convs and the FC)
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0))

# PolyLR with power 1 is linear: lr = 0.5 * (1 - t / (T - 1)) at iteration
# t = 0 ... T - 1, so the last iteration runs at eta_min = 0.
param_scheduler = [
    dict(type='PolyLR', power=1.0, eta_min=0.0, by_epoch=False, begin=0,
         end=300000)
]

# Iteration-based, as the papers count; Megvii's code validates and saves every
# 10k iterations.
train_cfg = dict(type='IterBasedTrainLoop', max_iters=300000, val_interval=10000)
val_cfg = dict()
test_cfg = dict()

# lr 0.5 is for 1024 images per iteration; with another total batch enable this
# (--cfg-options auto_scale_lr.enable=True) to scale it linearly.
auto_scale_lr = dict(enable=False, base_batch_size=1024)
