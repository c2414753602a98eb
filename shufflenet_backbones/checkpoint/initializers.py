"""Which ``init_cfg`` entries fill a module from a checkpoint file.

mmengine runs a module's ``init_cfg`` before its children initialise themselves,
and holds back only its own ``Pretrained`` until they have (otherwise a child's
``init_weights`` would overwrite the loaded weights). An initialiser of this package
that also loads a file (``PretrainedV2``) says so with a class attribute
``loads_checkpoint = True``, and :class:`~shufflenet_backbones.models.backbones.\
BaseShuffleNet` holds it back in the same way -- without knowing which one it is.
"""
from mmengine.registry import WEIGHT_INITIALIZERS

__all__ = ['loads_checkpoint']


def loads_checkpoint(init_cfg) -> bool:
    """Whether ``init_cfg`` (one entry) names an initialiser with
    ``loads_checkpoint = True``, by registered name or by class."""
    if not isinstance(init_cfg, dict):
        return False
    initializer = init_cfg.get('type')
    if isinstance(initializer, str):
        initializer = WEIGHT_INITIALIZERS.get(initializer)
    return bool(getattr(initializer, 'loads_checkpoint', False))
