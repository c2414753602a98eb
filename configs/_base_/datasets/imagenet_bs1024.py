# ImageNet-1k for the ShuffleNet recipe: 128 images per GPU x 8 GPUs = 1024 per
# iteration, the batch of the ShuffleNet V1 paper (Sec. 4). Another GPU count
# changes the batch: then also set auto_scale_lr.enable=True (schedule base).
#
# mmpretrain's layout: data/imagenet/train/<wnid>/*.JPEG, data/imagenet/val/...
# and meta/train.txt, meta/val.txt ("<path relative to the split> <label>" per
# line); without meta files the class folders of each split are scanned.
_base_ = 'mmpretrain::_base_/datasets/imagenet_bs32.py'

# Augmentation of Megvii's training code for both papers (megvii-model/
# ShuffleNet-Series, ShuffleNetV1/train.py): RandomResizedCrop 224, colour jitter
# 0.4 / 0.4 / 0.4, horizontal flip. Its evaluation (short side 256, centre crop
# 224) is mmpretrain's test pipeline as it is.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=128,
    # the iteration-based loop of the schedule draws from an endless sampler
    sampler=dict(type='InfiniteSampler', shuffle=True),
    # the base's pipeline was bound when the base was read: set it again
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=128)
test_dataloader = val_dataloader
