# ThunderNet, SNet49 (the paper's fastest setting), COCO 2017 at 320x320: the
# paper's recipe of thundernet_snet146_coco.py with SNet49, whose C5 is its 1x1
# conv5 (512 ch). The official code publishes SNet146 only; its recipe differs
# (details in thundernet_snet146_coco.py): two 1024-d FCs in the R-CNN, random
# RoI sampling (512 at 25 %) instead of OHEM, batch 64 on one GPU with plain BN,
# SSD-style augmentation and 240 / 360 / 480 resizing, a 400-pass schedule.
_base_ = './thundernet_snet146_coco.py'

model = dict(
    backbone=dict(
        arch=49,
        out_indices=(1, 3),  # C4 (stage 3, 120 ch), C5 (conv5, 512 ch)
        init_cfg=dict(checkpoint='checkpoints/snet49_imagenet.pth')),
    neck=dict(in_channels=(120, 512)))
