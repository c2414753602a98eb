"""Fixtures every test folder shares: a fixed random state and mmdet's scope for
each test, trained-looking BN layers, digests of generated files, and running the
scripts of tools/ as a user does."""
import hashlib
import os
import os.path as osp
import subprocess
import sys
from pathlib import Path
from typing import Callable, Dict, Optional, Sequence

import pytest
import torch
import torch.nn as nn
from mmengine.registry import DefaultScope
from torch.nn.modules.batchnorm import _BatchNorm

from shufflenet_backbones.data import SHAPE_CLASSES

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _seeded():
    """Every test starts from the same random state."""
    torch.manual_seed(0)


@pytest.fixture(autouse=True)
def _mmdet_scope():
    """Every test runs in mmdet's scope, that of this project's configs.

    A Runner built by an earlier test leaves mmengine's global ``DefaultScope`` at
    whatever its config said ('mmengine' by default), and registries resolve names
    through it; without this, a test's result would depend on the tests before it.
    Tests about other scopes set theirs explicitly.
    """
    with DefaultScope.overwrite_default_scope('mmdet'):
        yield


@pytest.fixture(scope='session')
def repo_root() -> Path:
    return REPO_ROOT


def _randomise_bn(model: nn.Module,
                  batch_shape: Optional[Sequence[int]] = None) -> nn.Module:
    """Give every BN layer random affine parameters and trained-looking running
    statistics, and return the model in eval mode.

    Fresh BN layers (mean 0, variance 1, identity affine) make folding a near no-op
    and leave V2's deepest maps near 1e-4, where tolerances prove nothing. The
    statistics are random (default) or, with ``batch_shape``, those of one batch of
    random images of that shape, which keeps every map of order 1 however deep.
    """
    norms = [m for m in model.modules() if isinstance(m, _BatchNorm)]
    for m in norms:
        nn.init.uniform_(m.weight, 0.5, 1.5)
        nn.init.uniform_(m.bias, -0.5, 0.5)
        if batch_shape is None:
            nn.init.uniform_(m.running_mean, -0.2, 0.2)
            nn.init.uniform_(m.running_var, 0.5, 2.0)
    if batch_shape is not None:
        momenta = {m: m.momentum for m in norms}
        for m in norms:
            m.momentum = 1.0  # running statistics := those of the next batch
        model.train()
        with torch.no_grad():
            model(torch.rand(*batch_shape))
        for m, momentum in momenta.items():
            m.momentum = momentum
    model.eval()
    return model


@pytest.fixture(scope='session')
def randomise_bn() -> Callable[..., nn.Module]:
    """``randomise_bn(model, batch_shape=None)``: see :func:`_randomise_bn`."""
    return _randomise_bn


def _file_digests(root) -> Dict[str, str]:
    """sha256 of every file under ``root``, by path relative to it."""
    root = Path(root)
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob('*')) if p.is_file()
    }


@pytest.fixture(scope='session')
def file_digests() -> Callable[..., Dict[str, str]]:
    """``file_digests(root)``: sha256 of every file under root (to compare two
    generated datasets)."""
    return _file_digests


def _tool_env() -> dict:
    """The environment a tool runs in: this checkout importable, one OpenMP
    thread per process (2 shared cores) and no launcher variables left over."""
    env = dict(os.environ)
    env['PYTHONPATH'] = str(REPO_ROOT) + os.pathsep + env.get('PYTHONPATH', '')
    env['OMP_NUM_THREADS'] = '1'
    env.pop('LOCAL_RANK', None)
    return env


def _run_tool(script, *args, cwd=None, timeout: int = 300,
              **env) -> subprocess.CompletedProcess:
    """Run a tools/ script with its arguments as a user would (``python`` for .py,
    ``bash`` for .sh; a relative path is from the repository root) and capture
    its output. ``env`` adds environment variables."""
    runner = ['bash'] if str(script).endswith('.sh') else [sys.executable]
    return subprocess.run([*runner, str(script), *map(str, args)],
                          cwd=cwd or REPO_ROOT, env=dict(_tool_env(), **env),
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope='session')
def tool_env() -> dict:
    """The environment tools run in (see :func:`_tool_env`)."""
    return _tool_env()


@pytest.fixture(scope='session')
def run_tool() -> Callable[..., subprocess.CompletedProcess]:
    """``run_tool(script, *args, cwd=None, **env)``: see :func:`_run_tool`."""
    return _run_tool


def _tiny_det_config(data_root: str) -> dict:
    """A tiny RetinaNet (ShuffleNetV2 0.5x, 16-channel FPN) on generated shapes data
    at ``data_root`` (``shufflenet_backbones.data.generate_shapes_coco``): trains
    and evaluates in seconds through tools/train.py and tools/test.py."""
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


@pytest.fixture(scope='session')
def tiny_det_config() -> Callable[[str], dict]:
    """``tiny_det_config(data_root)``: see :func:`_tiny_det_config`."""
    return _tiny_det_config
