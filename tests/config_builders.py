"""Configs the tests build in code (plain functions; tests/conftest.py hands them
out as fixtures): a tiny RetinaNet on generated shapes data that trains and
evaluates in seconds, and the same with the safe loading of bad files switched on.

tests/ is on ``sys.path`` when pytest runs (it inserts the folder of the rootdir's
conftest.py, tests/ having no ``__init__.py``), so ``import config_builders`` works
from any test or conftest."""
import os.path as osp

from shufflenet_backbones.toolkit.data import SHAPE_CLASSES

__all__ = ['tiny_det_config', 'safe_loading_det_config']


def tiny_det_config(data_root: str) -> dict:
    """A tiny RetinaNet (ShuffleNetV2 0.5x, 16-channel FPN) on generated shapes data
    at ``data_root`` (``shufflenet_backbones.toolkit.data.generate_shapes_coco``):
    trains and evaluates in seconds through tools/train.py and tools/test.py."""
    def dataset(split):
        return dict(type='CocoDataset', data_root=data_root,
                    ann_file=f'annotations/instances_{split}.json',
                    data_prefix=dict(img=f'{split}/'),
                    metainfo=dict(classes=SHAPE_CLASSES))
    train_pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations', with_bbox=True),
        dict(type='Resize', scale=(64, 64), keep_ratio=True),
        dict(type='PackDetInputs'),
    ]
    test_pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=(64, 64), keep_ratio=True),
        dict(type='LoadAnnotations', with_bbox=True),
        dict(type='PackDetInputs',
             meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                        'scale_factor')),
    ]
    evaluator = dict(type='CocoMetric', metric='bbox', ann_file=osp.join(
        data_root, 'annotations', 'instances_val.json'))

    def loader(pipeline, train):
        return dict(
            batch_size=2 if train else 1, num_workers=0, persistent_workers=False,
            sampler=dict(type='InfiniteSampler' if train else 'DefaultSampler',
                         shuffle=train),
            dataset=dict(dataset('train' if train else 'val'), pipeline=pipeline,
                         test_mode=not train,
                         filter_cfg=dict(filter_empty_gt=train, min_size=0)))

    return dict(
        default_scope='mmdet',
        model=dict(
            type='RetinaNet',
            data_preprocessor=dict(
                type='DetDataPreprocessor', mean=[123.675, 116.28, 103.53],
                std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_size_divisor=32),
            backbone=dict(type='ShuffleNetV2', widen_factor=0.5, out_indices=(1, 2)),
            neck=dict(type='FPN', in_channels=[96, 192], out_channels=16,
                      start_level=0, add_extra_convs='on_output', num_outs=3),
            bbox_head=dict(
                type='RetinaHead', num_classes=len(SHAPE_CLASSES), in_channels=16,
                stacked_convs=1,
                feat_channels=16,
                anchor_generator=dict(type='AnchorGenerator', octave_base_scale=4,
                                      scales_per_octave=1, ratios=[1.0],
                                      strides=[16, 32, 64]),
                bbox_coder=dict(type='DeltaXYWHBBoxCoder',
                                target_means=[0., 0., 0., 0.],
                                target_stds=[1., 1., 1., 1.]),
                loss_cls=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0,
                              alpha=0.25, loss_weight=1.0),
                loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
            train_cfg=dict(
                assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5,
                              neg_iou_thr=0.4, min_pos_iou=0, ignore_iof_thr=-1),
                sampler=dict(type='PseudoSampler'), allowed_border=-1,
                pos_weight=-1, debug=False),
            test_cfg=dict(nms_pre=100, min_bbox_size=0, score_thr=0.0,
                          nms=dict(type='nms', iou_threshold=0.5),
                          max_per_img=10)),
        train_dataloader=loader(train_pipeline, True),
        val_dataloader=loader(test_pipeline, False),
        test_dataloader=loader(test_pipeline, False),
        val_evaluator=evaluator,
        test_evaluator=evaluator,
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=2, val_interval=2),
        val_cfg=dict(type='ValLoop'),
        test_cfg=dict(type='TestLoop'),
        optim_wrapper=dict(type='OptimWrapper',
                           optimizer=dict(type='SGD', lr=0.01, momentum=0.9)),
        default_hooks=dict(
            timer=dict(type='IterTimerHook'),
            logger=dict(type='LoggerHook', interval=1),
            param_scheduler=dict(type='ParamSchedulerHook'),
            checkpoint=dict(type='CheckpointHook', interval=1, by_epoch=False),
            sampler_seed=dict(type='DistSamplerSeedHook'),
            visualization=dict(type='DetVisualizationHook')),
        # 'nccl' on purpose: the tools must switch to gloo on a CPU-only machine
        env_cfg=dict(cudnn_benchmark=False,
                     mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
                     dist_cfg=dict(backend='nccl')),
        visualizer=dict(type='DetLocalVisualizer',
                        vis_backends=[dict(type='LocalVisBackend')],
                        name='visualizer'),
        log_processor=dict(type='LogProcessor', window_size=1, by_epoch=False),
        log_level='INFO',
        randomness=dict(seed=0),
    )


def safe_loading_det_config(data_root: str, max_bad_share: float = 0.05) -> dict:
    """:func:`tiny_det_config` loading through the safe loaders as the shipped
    configs do: plain ``LoadImageFromFile`` steps that ``SafeLoadingRunner`` makes
    safe, a ``BadSampleHook`` with ``max_bad_share``, the training samples in file
    order (a bad first one is met at once) and one worker per loader (skips
    happen in worker processes)."""
    cfg = tiny_det_config(data_root)
    cfg['runner_type'] = 'SafeLoadingRunner'
    cfg['train_dataloader']['sampler']['shuffle'] = False
    for split in ('train', 'val'):
        cfg[f'{split}_dataloader'].update(num_workers=1, persistent_workers=True)
    cfg['train_cfg'] = dict(type='IterBasedTrainLoop', max_iters=2, val_interval=2)
    cfg['custom_hooks'] = [dict(type='BadSampleHook', max_bad_share=max_bad_share)]
    cfg['custom_imports'] = dict(imports=['shufflenet_backbones',
                                          'shufflenet_backbones.engine'])
    return cfg
