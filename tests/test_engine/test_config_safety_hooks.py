"""Every training config in configs/ (detection, segmentation, classification)
stops on a non-finite loss and saves through SafeCheckpointHook (non-finite
weights refused, atomic writes), once its bases are merged."""
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.registry import HOOKS, RUNNERS

import shufflenet_backbones  # noqa: F401  (registers the hooks)
from shufflenet_backbones.datasets import with_safe_loading
from shufflenet_backbones.engine import (SafeCheckpointHook, SafeLoadingRunner,
                                         StopOnNonFiniteLossHook)

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'
TRAIN_CONFIGS = sorted(
    str(path.relative_to(CONFIGS)) for family in ('det', 'seg', 'cls')
    for path in (CONFIGS / family).glob('*.py'))


def test_every_family_is_found():
    families = {name.split('/')[0] for name in TRAIN_CONFIGS}
    assert families == {'det', 'seg', 'cls'} and len(TRAIN_CONFIGS) >= 20


@pytest.mark.parametrize('name', TRAIN_CONFIGS)
def test_config_has_the_safety_hooks(name):
    cfg = Config.fromfile(str(CONFIGS / name))
    loss_hooks = [h for h in cfg.get('custom_hooks') or []
                  if HOOKS.get(h['type']) is StopOnNonFiniteLossHook]
    assert len(loss_hooks) == 1, cfg.get('custom_hooks')
    assert loss_hooks[0].get('interval', 1) == 1  # every iteration
    assert HOOKS.get(cfg.default_hooks.checkpoint.type) is SafeCheckpointHook


DET_CONFIGS = [name for name in TRAIN_CONFIGS if name.startswith('det/')]


@pytest.mark.parametrize('name', DET_CONFIGS)
def test_detection_configs_survive_bad_images(name):
    """Every detection config names mmcv's plain LoadImageFromFile (what mmdet's
    inference APIs look for), runs with SafeLoadingRunner, which loads through
    SafeLoadImageFromFile (skip in training, a counted blank image in validation
    and test), and counts the bad files with BadSampleHook."""
    cfg = Config.fromfile(str(CONFIGS / name))
    assert RUNNERS.get(cfg.runner_type) is SafeLoadingRunner
    for split, on_bad in (('train', 'skip'), ('val', 'placeholder'),
                          ('test', 'placeholder')):
        loader = cfg[f'{split}_dataloader']
        assert loader.dataset.pipeline[0].type == 'LoadImageFromFile'
        safe = with_safe_loading(loader, on_bad)
        assert safe['dataset']['pipeline'][0] == dict(
            loader.dataset.pipeline[0], type='SafeLoadImageFromFile', on_bad=on_bad)
    assert 'BadSampleHook' in [h['type'] for h in cfg.custom_hooks]
