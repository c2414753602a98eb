"""Where this package's modules are registered.

Every module goes into our own registry (scope ``shufflenet_backbones``, a child of
mmengine's root), so ``type='shufflenet_backbones.ShuffleNetV2'`` builds ours from
any scope. Backbones are also registered under their bare names in mmdet's and
mmseg's registries, so plain ``type='ShuffleNetV2'`` works in their configs.

They are deliberately *not* added to mmpretrain's registry: mmpretrain has its own
``ShuffleNetV1`` / ``ShuffleNetV2``, and registering ours there would either fail or
silently replace them. In mmpretrain configs write
``type='shufflenet_backbones.ShuffleNetV2'``; plain ``'ShuffleNetV2'`` stays
mmpretrain's. ``force=False`` everywhere: a name clash raises instead of replacing.
"""
import importlib
from typing import Type

from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import Registry

MODELS = Registry('model', parent=MMENGINE_MODELS, scope='shufflenet_backbones',
                  locations=['shufflenet_backbones.models'])

# Downstream registries that receive bare names. mmpretrain is left out on purpose.
DOWNSTREAM_SCOPES = ('mmdet', 'mmseg')


def _downstream_registries(scopes):
    for scope in scopes:
        try:
            yield importlib.import_module(f'{scope}.registry').MODELS
        except ImportError:  # that library is not installed: nothing to register
            continue


def register_model(cls: Type) -> Type:
    """Register ``cls`` in our registry and under its bare name in mmdet / mmseg."""
    MODELS.register_module(module=cls)
    for registry in _downstream_registries(DOWNSTREAM_SCOPES):
        registry.register_module(module=cls)
    return cls


def register_detection_model(cls: Type) -> Type:
    """Register ``cls`` in our registry and under its bare name in mmdet only."""
    MODELS.register_module(module=cls)
    for registry in _downstream_registries(('mmdet', )):
        registry.register_module(module=cls)
    return cls
