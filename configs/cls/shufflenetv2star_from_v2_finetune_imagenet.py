# ShuffleNet V2* 1x ImageNet-1k, fine-tuned from V2's weights instead of trained
# from scratch (shufflenetv2star_imagenet.py, 300k iterations). PretrainedV2 copies
# every V2 weight and sets each extra depthwise conv + BN to the identity, and the
# head is V2's, so at iteration 0 this classifier is V2 (same logits) and training
# has only to put the extra convs to use. Hence the numbers:
# - 30k iterations at batch 1024, a tenth of the full schedule, and lr 0.05 decayed
#   linearly to 0: the last tenth of V2's own schedule (its lr is 0.05 at iteration
#   270k), replayed on V2*. The full schedule's lr 0.5 is for learning from random
#   weights and would first undo V2's.
# - BN statistics frozen (norm_eval=True; BN weights and biases still train): in
#   train mode a BN normalises with the batch's statistics, which would turn each
#   identity BN into a per-channel standardisation and move the network away from
#   V2 at the first step. Frozen, training starts exactly at V2's loss.
#
#   python tools/train.py configs/cls/shufflenetv2star_from_v2_finetune_imagenet.py
#   python tools/model_converters/extract_backbone.py \
#       work_dirs/shufflenetv2star_from_v2_finetune_imagenet/iter_30000.pth \
#       checkpoints/shufflenetv2star_x1_0.pth          # then type='Pretrained'
#
# checkpoints/shufflenetv2_x1_0.pth must hold the classifier head (head.fc.*), as
# tools/model_converters/torchvision2shufflenet.py writes it; for a backbone-only
# file (extract_backbone.py) add --cfg-options model.head.init_cfg=None.
_base_ = './shufflenetv2star_imagenet.py'

v2_checkpoint = 'checkpoints/shufflenetv2_x1_0.pth'
model = dict(
    backbone=dict(
        norm_eval=True,
        init_cfg=dict(type='PretrainedV2', checkpoint=v2_checkpoint,
                      prefix='backbone.')),
    head=dict(init_cfg=dict(type='Pretrained', checkpoint=v2_checkpoint,
                            prefix='head.')))

max_iters = 30000
optim_wrapper = dict(optimizer=dict(lr=0.05))
param_scheduler = [
    dict(type='PolyLR', power=1.0, eta_min=0.0, by_epoch=False, begin=0,
         end=max_iters)
]
train_cfg = dict(max_iters=max_iters, val_interval=5000)
default_hooks = dict(checkpoint=dict(interval=5000))
