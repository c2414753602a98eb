"""ShuffleNet V1 / V2 / V2* for OpenMMLab. Importing the package registers every
module (this is what ``custom_imports=dict(imports=['shufflenet_backbones'])`` does)."""
from . import models  # noqa: F401  (registers the modules)
from .version import __version__

__all__ = ['__version__']
