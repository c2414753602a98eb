"""The real-photo experiment's plumbing (shufflenet_backbones.toolkit.benchmarks.
real_photos): the shorter schedule it can ask for stays the configs' shape, the
figures are read from what mmengine logs, and the report says what ran. (The
training itself is the benchmark's, tools/analysis/benchmark_real_photos.py; its
configs are built and stepped in tests/test_configs/test_det_configs.py.)"""
import json
import shlex

import pytest
from mmengine.config import Config, DictAction

from shufflenet_backbones.toolkit.analysis.reports import new_report
from shufflenet_backbones.toolkit.benchmarks import real_photos


@pytest.mark.parametrize('name', sorted(real_photos.CONTENDERS))
def test_a_shorter_schedule_keeps_the_configs_shape(repo_root, name):
    _, config = real_photos.CONTENDERS[name]
    command = real_photos.train_command(config, 'data/x', 'work_dirs/x', 50)
    assert command[1:6] == ['tools/train.py', config, '--data', 'data/x',
                            '--work-dir']
    options = command[command.index('--cfg-options') + 1:]
    action = DictAction(option_strings=['--cfg-options'], dest='cfg_options')
    namespace = type('Namespace', (), {})()
    action(None, namespace, options)
    cfg = Config.fromfile(repo_root / config)
    cfg.merge_from_dict(namespace.cfg_options)
    assert cfg.train_cfg.max_iters == cfg.train_cfg.val_interval == 50
    warmup, step = cfg.param_scheduler
    assert warmup.type == 'LinearLR' and warmup.end == 10  # a fifth
    assert step.type == 'MultiStepLR' and step.end == 50 and step.milestones == [40]
    # without --iters the configs' own schedule runs
    assert '--cfg-options' not in real_photos.train_command(config, 'd', 'w', None)


def test_both_contenders_train_with_the_same_data_and_schedule(repo_root):
    cfgs = [Config.fromfile(repo_root / config)
            for _, config in real_photos.CONTENDERS.values()]
    for key in ('train_cfg', 'param_scheduler', 'optim_wrapper', 'train_pipeline',
                'test_pipeline', 'randomness'):
        assert cfgs[0][key] == cfgs[1][key], key
    assert (cfgs[0].train_dataloader.batch_size == cfgs[1].train_dataloader.batch_size)
    assert cfgs[0].model.type == 'LightHeadRCNN'
    assert cfgs[1].model.backbone.type == 'mmpretrain.ShuffleNetV2'
    for cfg in cfgs:
        assert cfg.model.backbone.init_cfg is None  # from random init


def _scalars(work_dir, records):
    path = work_dir / '20261203_000000' / 'vis_data' / 'scalars.json'
    path.parent.mkdir(parents=True)
    path.write_text(''.join(json.dumps(r) + '\n' for r in records))


def test_final_metrics_are_the_last_validation(tmp_path):
    _scalars(tmp_path, [
        dict(loss=1.0, iter=10),
        {'coco/bbox_mAP': 0.1, 'coco/bbox_mAP_50': 0.3, 'step': 10},
        dict(loss=0.5, iter=20),
        {'coco/bbox_mAP': 0.2, 'coco/bbox_mAP_50': 0.4, 'step': 20},
    ])
    assert real_photos.final_metrics(str(tmp_path)) == dict(bbox_mAP=0.2,
                                                            bbox_mAP_50=0.4)


def test_a_run_without_validation_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match='no \\*/vis_data/scalars.json'):
        real_photos.final_metrics(str(tmp_path))
    _scalars(tmp_path, [dict(loss=1.0, iter=10)])
    with pytest.raises(ValueError, match='no validation'):
        real_photos.final_metrics(str(tmp_path))


def test_anchor_check_lines_are_found_in_the_output():
    output = ['loading', 'anchor check: 10 boxes of a.json at the train scale',
              '  box size sqrt(w*h) px (min, median, max): 1, 2, 3',
              '  median box 2.0 px < smallest anchor 32.0 px', 'Epoch(train) ...']
    assert real_photos.anchor_check_lines(output) == output[1:4]


def test_report_lists_every_run(monkeypatch):
    monkeypatch.setattr('sys.argv', ['tools/analysis/benchmark_real_photos.py'])
    report = new_report('real_photos', {})
    report['machine']['load_average_after'] = [0.0, 0.0, 0.0]
    report['data'] = ['train: 10 tiles of 200 px, 99 crowns']
    report['runs'] = [
        dict(name='lighthead', config='configs/det/a.py', seconds=120.0,
             iterations=60, metrics=dict(bbox_mAP=0.25, bbox_mAP_50=0.5,
                                         bbox_mAP_l=-1.0),
             anchor_check=['anchor check: 99 boxes']),
        dict(name='reference', config='configs/det/b.py', seconds=240.0,
             iterations=60, metrics=dict(bbox_mAP=0.125), anchor_check=[]),
    ]
    markdown = real_photos.to_markdown(report)
    assert shlex.quote('tools/analysis/benchmark_real_photos.py') in markdown
    assert '- train: 10 tiles of 200 px, 99 crowns' in markdown
    rows = [line for line in markdown.splitlines() if line.startswith('| ')]
    assert len(rows) == 3
    assert '| `configs/det/a.py` | 60 | 2.0 min (2.00 s/iter) | 0.250 | 0.500 |' \
        in rows[1]
    assert rows[1].endswith('| - |')  # COCOeval's -1: no box of that size
    assert '| 4.0 min (4.00 s/iter) | 0.125 | - |' in rows[2]
    assert '    anchor check: 99 boxes' in markdown
