"""Detectors with trained weights for the speed benchmarks.

Eager PyTorch's test-time cost depends on the weights: the RPN's NMS and the
per-class NMS work on what passes the score thresholds, and a random-weight RPN
(scores near 0.5 everywhere) is the worst case; an exported graph costs the same
for any weights (fixed top-k). So the figures users read must come from trained
weights. No COCO or ImageNet weights can be fetched here; instead each detector is
trained briefly, from random init, on generated shapes at the benchmark's own
input size (``tools/train.py`` on a config derived from the COCO one), which makes
the RPN and the R-CNN head as peaked as trained ones. The weights and data are
cached under ``work_dirs/benchmarks/trained/``; a run with the cache in place
trains nothing.

The derived config keeps the COCO config's model (proposal counts, OHEM, NMS
thresholds: what the timing measures) and changes only what training from random
init on generated data needs: BN trained and no ``Pretrained`` init (as the
demos), the demos' AdamW schedule, the data, and the pipelines' scale.
"""
import copy
import glob
import json
import os.path as osp
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.runner import load_checkpoint

from ..data.custom_data import apply_custom_data
from ..data.synthetic_shapes import generate_shapes_coco
from .detector_benchmark import CONFIGS, build_detector

SCHEDULE = CONFIGS.parent / '_base_' / 'schedules' / 'shapes_demo_det.py'
SEED = 0


@dataclass(frozen=True)
class TrainingPlan:
    """How one benchmarked detector gets its weights."""
    config: Path  # the COCO config whose model is timed
    size: Tuple[int, int]  # (H, W): the generated images and the pipelines' scale
    iterations: int
    batch: int
    num_train: int = 64
    num_val: int = 16
    max_objects: int = 4

    @property
    def name(self) -> str:
        height, width = self.size
        return f'{self.config.stem}_{height}x{width}_{self.iterations}it'


PLANS = {
    ('Light-Head R-CNN', (800, 1216)): TrainingPlan(
        CONFIGS / 'lighthead_shufflenetv2.py', (800, 1216), iterations=120, batch=2),
    ('Light-Head R-CNN', (320, 320)): TrainingPlan(
        CONFIGS / 'lighthead_shufflenetv2.py', (320, 320), iterations=200, batch=8),
}


def _set_scale(pipeline, size: Tuple[int, int]) -> None:
    height, width = size
    for step in pipeline:
        if step['type'] in ('Resize', 'mmdet.Resize'):
            step['scale'] = (width, height)


def training_config(plan: TrainingPlan, data_dir: str) -> Config:
    """The COCO config, made to train from random init on ``data_dir`` (a
    generated shapes folder) at ``plan.size`` for ``plan.iterations``."""
    cfg = Config.fromfile(plan.config)
    apply_custom_data(cfg, data_dir)
    cfg.model.backbone.update(init_cfg=None, frozen_stages=-1, norm_eval=False)
    schedule = Config.fromfile(SCHEDULE)
    for key in ('optim_wrapper', 'log_processor', 'randomness'):
        cfg[key] = copy.deepcopy(schedule[key])
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=plan.iterations,
                         val_interval=plan.iterations)
    cfg.param_scheduler = [
        dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
             end=max(1, min(50, plan.iterations // 5))),
        dict(type='MultiStepLR', by_epoch=False, begin=0, end=plan.iterations,
             milestones=[int(plan.iterations * 0.8)], gamma=0.1)
    ]
    cfg.default_hooks.checkpoint = dict(type='SafeCheckpointHook', by_epoch=False,
                                        interval=plan.iterations, max_keep_ckpts=1)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=10)
    cfg.train_dataloader.batch_size = plan.batch
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        _set_scale(cfg[loader].dataset.pipeline, plan.size)
        cfg[loader].num_workers = 1
        cfg[loader].persistent_workers = True
    cfg.val_dataloader.batch_size = cfg.test_dataloader.batch_size = 1
    return cfg


@dataclass
class TrainedDetector:
    """A trained benchmark detector: the model (eval mode), its config (the
    one it was trained with) and where its files are."""
    model: nn.Module
    cfg: Config
    config_path: str
    checkpoint: str
    val_metrics: Dict[str, float]


def _val_metrics(work_dir: str) -> Dict[str, float]:
    """The validation at the end of training, from mmengine's scalars."""
    metrics = {}
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data',
                                          'scalars.json'))):
        for line in Path(path).read_text().splitlines():
            record = json.loads(line)
            if 'coco/bbox_mAP' in record:
                metrics = {k: v for k, v in record.items() if k.startswith('coco/')}
    return metrics


def trained_detector(plan: TrainingPlan, cache_dir: Path,
                     log: Optional[str] = None) -> TrainedDetector:
    """The detector of ``plan`` with its trained weights, training it first (in
    a ``tools/train.py`` process, output to ``<work dir>/train.log``) unless
    ``cache_dir`` has them."""
    work_dir = cache_dir / plan.name
    checkpoint = work_dir / f'iter_{plan.iterations}.pth'
    config_path = work_dir / 'benchmark_config.py'
    if not checkpoint.is_file():
        height, width = plan.size
        data_dir = cache_dir / f'shapes_{height}x{width}'
        if not (data_dir / 'annotations' / 'instances_val.json').is_file():
            generate_shapes_coco(str(data_dir), plan.num_train, plan.num_val,
                                 image_size=(width, height),
                                 max_objects=plan.max_objects, seed=SEED)
        work_dir.mkdir(parents=True, exist_ok=True)
        training_config(plan, str(data_dir)).dump(str(config_path))
        print(f'training {plan.name} (cached in {work_dir}) ...', flush=True)
        with open(log or work_dir / 'train.log', 'w') as out:
            subprocess.run([sys.executable, 'tools/train.py', str(config_path),
                            '--work-dir', str(work_dir)], check=True,
                           stdout=out, stderr=subprocess.STDOUT,
                           cwd=CONFIGS.parents[1])
    model, cfg = build_detector(config_path)
    load_checkpoint(model, str(checkpoint), map_location='cpu', logger='silent')
    with torch.no_grad():
        model.eval()
    return TrainedDetector(model, cfg, str(config_path), str(checkpoint),
                           _val_metrics(str(work_dir)))
