"""Each detection family trains a few iterations on generated data with
tools/train.py and is evaluated with COCO metrics by tools/test.py."""
from pathlib import Path

import pytest

from shufflenet_backbones.toolkit.data import (SHAPE_CLASSES,
                                               generate_shapes_coco)

ROOT = Path(__file__).parents[2]

# family -> (config, metrics its evaluation must report)
FAMILIES = {
    'faster_rcnn': ('configs/det/faster_rcnn_fpn_shufflenetv2.py', ['bbox']),
    'light_head': ('configs/det/lighthead_shufflenetv2_shapes_demo.py', ['bbox']),
    'mask_rcnn': ('configs/det/mask_rcnn_fpn_shufflenetv2.py', ['bbox', 'segm']),
    'thundernet': ('configs/det/thundernet_snet146_shapes_demo.py', ['bbox']),
}


@pytest.fixture(scope='module')
def shapes(tmp_path_factory):
    root = tmp_path_factory.mktemp('shapes')
    generate_shapes_coco(root, num_train=4, num_val=2, image_size=64)
    return root


def short_run_config(base: Path, data_root: Path, metrics, path: Path) -> None:
    """A config inheriting ``base`` that reads the generated data, 2 iterations."""
    ann = {split: f'annotations/instances_{split}.json' for split in ('train', 'val')}
    path.write_text(f'''
_base_ = ['{base}']
data = dict(data_root='{data_root}/', metainfo=dict(classes={SHAPE_CLASSES!r}))
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True), batch_sampler=None,
    dataset=dict(data, ann_file='{ann['train']}', data_prefix=dict(img='train/')))
val_dataloader = dict(
    batch_size=1, num_workers=0, persistent_workers=False,
    dataset=dict(data, ann_file='{ann['val']}', data_prefix=dict(img='val/')))
test_dataloader = val_dataloader
val_evaluator = dict(type='CocoMetric', metric={metrics!r},
                     ann_file='{data_root}/{ann['val']}')
test_evaluator = val_evaluator
model = dict(backbone=dict(init_cfg=None),
             roi_head=dict(bbox_head=dict(num_classes=3)))
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=2,
                 val_interval=2)
param_scheduler = []
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(by_epoch=False, interval=2))
''')


@pytest.mark.parametrize('family', sorted(FAMILIES))
def test_family_trains_and_evaluates(run_tool, family, shapes, tmp_path):
    config, metrics = FAMILIES[family]
    cfg_path = tmp_path / 'short.py'
    short_run_config(ROOT / config, shapes, metrics, cfg_path)
    if family == 'mask_rcnn':  # 3 classes for the mask head too
        with open(cfg_path, 'a') as f:
            f.write("model['roi_head']['mask_head'] = dict(num_classes=3)\n")
    work_dir = tmp_path / 'work'
    train = run_tool('tools/train.py', cfg_path, '--work-dir', work_dir)
    assert train.returncode == 0, train.stderr[-3000:]
    test = run_tool('tools/test.py', cfg_path, work_dir / 'iter_2.pth', '--work-dir',
                    work_dir)
    assert test.returncode == 0, test.stderr[-3000:]
    log = test.stdout + test.stderr
    for metric in metrics:
        assert f'coco/{metric}_mAP:' in log, metric
