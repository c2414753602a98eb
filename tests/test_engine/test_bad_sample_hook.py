"""BadSampleHook (engine/bad_sample_hook.py): where it points the workers' record,
the skipped_images / images_evaluated it adds to the eval metrics, its warning when
the runner loads plainly, and a training run (tools/train.py) that it stops past
max_bad_share, in one line naming the file (issue 12). The data: conftest.py's
bad_data; the config: tests/config_builders.py."""
import os
import os.path as osp
from types import SimpleNamespace

import pytest
from mmcv.transforms import LoadImageFromFile
from mmengine.config import Config
from mmengine.dataset import Compose

from shufflenet_backbones.datasets import SafeLoadImageFromFile
from shufflenet_backbones.datasets.bad_sample_log import (BAD_SAMPLES_ENV,
                                                          report_bad_sample)
from shufflenet_backbones.engine import BadSampleHook

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TRAIN = osp.join(ROOT, 'tools', 'train.py')


class SafeDataset:
    """A built dataset of 10 samples that loads through SafeLoadImageFromFile."""
    pipeline = Compose([SafeLoadImageFromFile()])

    def __len__(self):
        return 10


@pytest.mark.parametrize('share', [-0.1, 1.5])
def test_max_bad_share_must_be_a_share(share, bad_samples_env):
    with pytest.raises(ValueError, match=rf'max_bad_share must be in \[0, 1\], '
                                         rf'got {share}'):
        BadSampleHook(max_bad_share=share)


def test_hook_points_the_workers_to_its_record_and_restores(bad_samples_env,
                                                            monkeypatch, tmp_path):
    monkeypatch.setenv(BAD_SAMPLES_ENV, 'before.jsonl')
    hook = BadSampleHook()
    # set when built: the training loader may start its workers before before_run
    assert os.environ[BAD_SAMPLES_ENV] == osp.join(hook._dir, 'train.jsonl')
    hook.before_run(SimpleNamespace(log_dir=str(tmp_path)))
    report_bad_sample('a.jpg', 'truncated')
    hook.after_run(SimpleNamespace())
    assert os.environ[BAD_SAMPLES_ENV] == 'before.jsonl'
    # the record is kept in the log dir
    assert os.listdir(tmp_path / 'bad_samples') == ['train.jsonl']


@pytest.mark.parametrize('phase', ['val', 'test'])
def test_eval_metrics_count_the_blanks(phase, bad_samples_env, tmp_path):
    """The distinct files replaced by a blank in this evaluation, not in earlier
    ones; then the workers write to training's record again."""
    hook = BadSampleHook()
    hook.before_run(SimpleNamespace(log_dir=str(tmp_path)))
    warnings = []
    runner = SimpleNamespace(logger=SimpleNamespace(warning=warnings.append),
                             **{f'{phase}_dataloader': SimpleNamespace(
                                 dataset=SafeDataset())})
    metrics = []
    for names in (['a.jpg'], ['b.jpg', 'c.jpg', 'b.jpg']):
        getattr(hook, f'before_{phase}_epoch')(runner)
        assert os.environ[BAD_SAMPLES_ENV] == osp.join(hook._dir, f'{phase}.jsonl')
        for name in names:
            report_bad_sample(name, 'truncated', action='replaced by a blank')
        metrics.append({})
        getattr(hook, f'after_{phase}_epoch')(runner, metrics[-1])
    assert metrics == [dict(skipped_images=1, images_evaluated=9),
                       dict(skipped_images=2, images_evaluated=8)]
    assert warnings[-1] == (f'{phase}: 2 of 10 images could not be loaded and were '
                            'scored as blank images (their objects count as '
                            'missed): b.jpg, c.jpg')
    assert os.environ[BAD_SAMPLES_ENV] == osp.join(hook._dir, 'train.jsonl')
    hook.after_run(SimpleNamespace())
    assert os.listdir(tmp_path / 'bad_samples') == [f'{phase}.jsonl']


def test_bad_sample_hook_warns_when_the_runner_loads_plainly(bad_samples_env):
    """Runner.from_cfg ignores runner_type: the hook says so instead of counting
    nothing in silence."""
    warnings = []
    logger = SimpleNamespace(warning=warnings.append)
    plain = SimpleNamespace(pipeline=Compose([LoadImageFromFile()]))
    safe = SimpleNamespace(pipeline=Compose([SafeLoadImageFromFile()]))
    wrapped = SimpleNamespace(datasets=[safe, SimpleNamespace(dataset=plain)])
    hook = BadSampleHook()
    runner = SimpleNamespace(logger=logger,
                             test_dataloader=SimpleNamespace(dataset=safe),
                             val_dataloader=SimpleNamespace(dataset=wrapped))
    hook.before_test_epoch(runner)
    assert warnings == []
    hook.before_val_epoch(runner)
    hook.before_val_epoch(runner)  # once per phase
    assert len(warnings) == 1
    assert "the val dataset does not load through SafeLoadImageFromFile" in warnings[0]
    assert "runner_type='SafeLoadingRunner'" in warnings[0]
    hook.after_run(SimpleNamespace())


def test_training_stops_past_the_bad_share(safe_loading_det_config, bad_data,
                                           run_tool, tmp_path):
    config = str(tmp_path / 'strict.py')
    Config(safe_loading_det_config(bad_data.root, max_bad_share=0.01)).dump(config)
    result = run_tool(TRAIN, config, '--work-dir', str(tmp_path / 'work'))
    assert result.returncode == 1
    # one line, no traceback
    assert result.stderr.strip().splitlines()[-1] == (
        'train.py: error: 1 of 50 training samples (2.0%) could not be loaded, '
        f'more than max_bad_share=1.0%: {bad_data.truncated}')
    assert 'Traceback' not in result.stderr
