# ThunderNet (Qin et al., ICCV 2019) with SNet146, the paper's main setting.
# SNet146 outputs C4 (stage 3, stride 16, 264 ch) and C5 (stage 4, stride 32,
# 528 ch); ThunderNetNeck turns them into F_CEM (245 = 5 x 7 x 7 ch, stride 16),
# runs the light RPN's trunk on it (F_RPN, 256 ch) and SAM, and returns
# (F_SAM, F_RPN): the RPN's 1x1 convs read F_RPN, the R-CNN pools F_SAM.
# Paper's settings where it states them, the official code's otherwise (noted).
custom_imports = dict(imports=['shufflenet_backbones'], allow_failed_imports=False)

model = dict(
    type='ThunderNet',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        # ImageNet statistics (RGB), those the SNet classifier is trained with
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        type='SNet',
        arch=146,
        out_indices=(1, 2),  # C4, C5
        frozen_stages=-1,
        norm_eval=False,  # BN trained (paper: cross-GPU BN; official: plain BN)
        init_cfg=dict(
            type='Pretrained',
            # the ImageNet classifier of configs/cls/ (its backbone weights)
            checkpoint='checkpoints/snet146_imagenet.pth',
            prefix='backbone.')),
    neck=dict(
        type='ThunderNetNeck',
        in_channels=(264, 528),
        cem_channels=245,
        rpn_channels=256,
        rpn_kernel_size=5),
    rpn_head=dict(
        type='LightRPNHead',
        in_channels=256,
        in_indices=(1, ),  # neck outputs: (F_SAM, F_RPN)
        anchor_generator=dict(
            type='AnchorGenerator',
            scales=[2, 4, 8, 16, 32],  # x stride 16 = 32 ... 512 px
            ratios=[0.5, 0.75, 1.0, 4 / 3, 2.0],
            strides=[16]),
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[0.0, 0.0, 0.0, 0.0],
            target_stds=[1.0, 1.0, 1.0, 1.0]),
        loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
    roi_head=dict(
        type='StandardRoIHead',
        bbox_roi_extractor=dict(
            type='PSRoIExtractor',
            # the paper says PSRoIAlign; its official kernel takes the max of the
            # 2 x 2 samples of a bin, without the -0.5 pixel offset: mode='max'.
            # mode='avg' is the aligned mean (torchvision's ps_roi_align).
            roi_layer=dict(type='PSRoIAlign', output_size=7, sampling_ratio=2,
                           mode='max'),
            out_channels=5,
            featmap_strides=[16]),
        bbox_head=dict(
            # paper: one 1024-d FC, then classification and box layers; the
            # official code has two (num_shared_fcs=2, mmdet's Shared2FCBBoxHead)
            type='ConvFCBBoxHead',
            num_shared_convs=0,
            num_shared_fcs=1,
            in_channels=5,
            roi_feat_size=7,
            fc_out_channels=1024,
            num_classes=80,
            bbox_coder=dict(
                type='DeltaXYWHBBoxCoder',
                target_means=[0.0, 0.0, 0.0, 0.0],
                target_stds=[0.1, 0.1, 0.2, 0.2]),
            reg_class_agnostic=False,
            loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False,
                          loss_weight=1.0),
            loss_bbox=dict(type='L1Loss', loss_weight=1.0))),
    train_cfg=dict(
        rpn=dict(
            assigner=dict(
                type='MaxIoUAssigner',
                pos_iou_thr=0.7,
                neg_iou_thr=0.3,
                min_pos_iou=0.3,
                match_low_quality=True,
                ignore_iof_thr=-1),
            sampler=dict(type='RandomSampler', num=256, pos_fraction=0.5,
                         neg_pos_ub=-1, add_gt_as_proposals=False),
            allowed_border=-1,
            pos_weight=-1,
            debug=False),
        # official: 2000 boxes before NMS, 1000 proposals in training
        rpn_proposal=dict(nms_pre=2000, max_per_img=1000,
                          nms=dict(type='nms', iou_threshold=0.7), min_bbox_size=0),
        rcnn=dict(
            assigner=dict(
                type='MaxIoUAssigner',
                pos_iou_thr=0.5,
                neg_iou_thr=0.5,
                min_pos_iou=0.5,
                match_low_quality=False,
                ignore_iof_thr=-1),
            # paper: OHEM. The official code samples 512 RoIs at 25 % positives
            # at random (RandomSampler); here the same numbers, ranked by loss.
            sampler=dict(type='OHEMSampler', num=512, pos_fraction=0.25,
                         neg_pos_ub=-1, add_gt_as_proposals=True),
            pos_weight=-1,
            debug=False)),
    test_cfg=dict(
        # 200 proposals for the R-CNN at test time (official)
        rpn=dict(nms_pre=2000, max_per_img=200,
                 nms=dict(type='nms', iou_threshold=0.7), min_bbox_size=0),
        # paper and official code: Soft-NMS
        rcnn=dict(score_thr=0.05, nms=dict(type='soft_nms', iou_threshold=0.5),
                  max_per_img=100)))
