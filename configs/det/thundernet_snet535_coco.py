# ThunderNet, SNet535 (the paper's largest setting), COCO 2017 at 320x320: the
# paper's recipe of thundernet_snet146_coco.py with SNet535. The official code
# publishes SNet146 only; its recipe differs (details in
# thundernet_snet146_coco.py): two 1024-d FCs in the R-CNN, random RoI sampling
# (512 at 25 %) instead of OHEM, batch 64 on one GPU with plain BN, SSD-style
# augmentation and 240 / 360 / 480 resizing, a 400-pass schedule.
_base_ = './thundernet_snet146_coco.py'

model = dict(
    backbone=dict(
        arch=535,
        out_indices=(1, 2),  # C4 (stage 3, 496 ch), C5 (stage 4, 992 ch)
        init_cfg=dict(checkpoint='checkpoints/snet535_imagenet.pth')),
    neck=dict(in_channels=(496, 992)))
