"""Every training config in configs/ (detection, segmentation, classification)
stops on a non-finite loss and saves through SafeCheckpointHook (non-finite
weights refused, atomic writes), once its bases are merged."""
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.registry import HOOKS

import shufflenet_backbones  # noqa: F401  (registers the hooks)
from shufflenet_backbones.engine import (SafeCheckpointHook,
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
    """Every detection config loads images with SafeLoadImageFromFile (skip in
    training, a counted blank image in validation and test) and counts the bad
    ones with BadSampleHook."""
    cfg = Config.fromfile(str(CONFIGS / name))
    loaders = {split: cfg[f'{split}_dataloader'].dataset.pipeline[0]
               for split in ('train', 'val', 'test')}
    assert {step.type for step in loaders.values()} == {'SafeLoadImageFromFile'}
    assert loaders['train'].get('on_bad', 'skip') == 'skip'
    assert loaders['val'].on_bad == loaders['test'].on_bad == 'placeholder'
    assert 'BadSampleHook' in [h['type'] for h in cfg.custom_hooks]
