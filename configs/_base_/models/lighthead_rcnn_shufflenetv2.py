# Light-Head R-CNN, small ("S") setting, on ShuffleNetV2 1x (Light-Head R-CNN paper
# and the V2 paper's detection protocol; see REFERENCE figures in README).
# Backbone outputs: stage3 (stride 16) for the RPN, conv5 (stride 32) for the thin
# feature map; no dilation in the S setting.
custom_imports = dict(imports=['shufflenet_backbones'], allow_failed_imports=False)

model = dict(
    type='LightHeadRCNN',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        # torchvision / mmpretrain ImageNet statistics (RGB)
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        type='ShuffleNetV2',
        widen_factor=1.0,
        out_indices=(1, 3),
        frozen_stages=0,
        norm_eval=True,  # "backbone BN frozen"
        init_cfg=dict(
            type='Pretrained',
            # python tools/model_converters/torchvision2shufflenet.py \
            #     shufflenet_v2_x1-5666bf0f80.pth checkpoints/shufflenetv2_x1_0.pth
            checkpoint='checkpoints/shufflenetv2_x1_0.pth',
            prefix='backbone.')),
    neck=dict(
        type='LargeSeparableConv',
        in_channels=1024,
        in_index=-1,
        mid_channels=64,
        out_channels=490,  # 10 x 7 x 7
        kernel_size=15),
    rpn_head=dict(
        type='SelectRPNHead',
        in_indices=(1, ),  # neck outputs: (thin map, stage3, conv5)
        in_channels=232,
        feat_channels=256,
        anchor_generator=dict(
            type='AnchorGenerator',
            scales=[2, 4, 8, 16, 32],  # x stride 16 = 32 ... 512 px
            ratios=[0.5, 1.0, 2.0],
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
            roi_layer=dict(type='PSRoIAlign', output_size=7, sampling_ratio=2,
                           mode='avg'),
            out_channels=10,
            featmap_strides=[32]),
        bbox_head=dict(
            # the light R-CNN subnet: one FC of 2048 + ReLU, then cls and reg
            type='ConvFCBBoxHead',
            num_shared_convs=0,
            num_shared_fcs=1,
            in_channels=10,
            roi_feat_size=7,
            fc_out_channels=2048,
            num_classes=80,
            bbox_coder=dict(
                type='DeltaXYWHBBoxCoder',
                target_means=[0.0, 0.0, 0.0, 0.0],
                target_stds=[0.1, 0.1, 0.2, 0.2]),
            reg_class_agnostic=False,  # 4 x num_classes, as the official code
            loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False,
                          loss_weight=1.0),
            loss_bbox=dict(type='SmoothL1Loss', beta=1.0, loss_weight=2.0))),
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
        rpn_proposal=dict(nms_pre=12000, max_per_img=2000,
                          nms=dict(type='nms', iou_threshold=0.7), min_bbox_size=0),
        rcnn=dict(
            assigner=dict(
                type='MaxIoUAssigner',
                pos_iou_thr=0.5,
                neg_iou_thr=0.5,
                min_pos_iou=0.5,
                match_low_quality=False,
                ignore_iof_thr=-1),
            # OHEM keeps the 256 RoIs per image with the largest loss, drawn from
            # all proposals + GT. mmdet's OHEMSampler ranks positives and negatives
            # separately; pos_fraction=1.0 lets positives take any share of the 256.
            sampler=dict(type='OHEMSampler', num=256, pos_fraction=1.0,
                         neg_pos_ub=-1, add_gt_as_proposals=True),
            pos_weight=-1,
            debug=False)),
    test_cfg=dict(
        rpn=dict(nms_pre=6000, max_per_img=1000,
                 nms=dict(type='nms', iou_threshold=0.7), min_bbox_size=0),
        rcnn=dict(score_thr=0.05, nms=dict(type='nms', iou_threshold=0.5),
                  max_per_img=100)))
