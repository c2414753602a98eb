"""SafeLoadingRunner (engine/safe_loading_runner.py): the dataloader configs it
rewrites when built (each phase's on_bad, the config's safe_loading options, the
config itself left as given), and runs on bad data through it: a training run of
tools/train.py that skips, counts and scores past them, and mmdet's own
tools/test.py, which builds runner_type too (issue 12). The data: conftest.py's
bad_data; the configs: tests/config_builders.py."""
import os.path as osp

import mmdet
import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.registry import RUNNERS, DefaultScope

from shufflenet_backbones.engine import SafeLoadingRunner

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TRAIN = osp.join(ROOT, 'tools', 'train.py')


def first_step(loader_cfg):
    return loader_cfg['dataset']['pipeline'][0]


@pytest.mark.parametrize('options', [{}, dict(check_size=False, max_bad_in_row=7)])
def test_built_runner_loads_each_phase_safely(safe_loading_det_config, tmp_path,
                                              options, bad_samples_env):
    """Skipped in training, scored as a blank in validation and test; the
    datasets are not built yet (no data is read)."""
    cfg = Config(safe_loading_det_config(str(tmp_path / 'no_data')))
    cfg.work_dir = str(tmp_path / 'work')
    # a logger and visualizer of its own (named after the experiment)
    cfg.experiment_name = tmp_path.name
    cfg.visualizer.pop('name')
    if options:
        cfg.safe_loading = options
    runner = RUNNERS.build(cfg)
    assert type(runner) is SafeLoadingRunner
    for phase, on_bad in [('train', 'skip'), ('val', 'placeholder'),
                          ('test', 'placeholder')]:
        loader = getattr(runner, f'_{phase}_dataloader')
        assert first_step(loader) == dict(type='SafeLoadImageFromFile',
                                          on_bad=on_bad, **options), phase
        assert first_step(runner.cfg[f'{phase}_dataloader']) == dict(
            type='LoadImageFromFile')  # what is written to the work dir


def test_training_survives_bad_samples(safe_loading_det_config, bad_data,
                                       run_tool, tmp_path):
    config = str(tmp_path / 'safe.py')
    Config(safe_loading_det_config(bad_data.root)).dump(config)
    result = run_tool(TRAIN, config, '--work-dir', str(tmp_path / 'work'))
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    assert f'Bad sample skipped: {bad_data.truncated}' in log
    assert '1 of 50 training samples skipped' in log
    assert f'{bad_data.wrong_size}: decoded size 64x64 (HxW) differs' in log
    assert 'skipped_images: 1' in log and 'images_evaluated: 9' in log
    assert 'bbox_mAP' in log


def test_mmdets_own_test_tool_loads_safely(safe_loading_det_config, bad_data,
                                           run_tool, tmp_path):
    """mmdet's tools/test.py (shipped in the package) builds ``runner_type``, so
    the safe loading holds there too: the image of the wrong annotated size is
    scored as a blank, counted, and the run ends with a score."""
    cfg = safe_loading_det_config(bad_data.root)
    config = str(tmp_path / 'safe.py')
    Config(cfg).dump(config)
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(cfg['model'])
    checkpoint = str(tmp_path / 'random.pth')
    torch.save({'state_dict': model.state_dict()}, checkpoint)
    mmdet_test = osp.join(osp.dirname(mmdet.__file__), '.mim', 'tools', 'test.py')
    result = run_tool(mmdet_test, config, checkpoint, '--work-dir',
                      str(tmp_path / 'work'))
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    assert f'Bad sample replaced by a blank: {bad_data.wrong_size}' in log
    assert 'skipped_images: 1' in log and 'images_evaluated: 9' in log
