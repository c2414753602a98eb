"""ShuffleNet V1 / V2 / V2* for OpenMMLab. Importing the package registers every
module (this is what ``custom_imports=dict(imports=['shufflenet_backbones'])`` does)
and lets mmengine load its own checkpoints under torch >= 2.6 (see checkpoint.py)."""
from . import datasets, models  # noqa: F401  (registers the modules)
from .checkpoint import allow_mmengine_checkpoints
from .version import __version__

allow_mmengine_checkpoints()

__all__ = ['__version__', 'allow_mmengine_checkpoints']
