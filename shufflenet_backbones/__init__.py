"""ShuffleNet V1 / V2 / V2* for OpenMMLab: the plugin.

Importing the package (what ``custom_imports=dict(imports=['shufflenet_backbones'])``
does) registers what configs name -- models, ops, transforms, visualizers and
hooks -- and lets mmengine load its own checkpoints safely under torch >= 2.6 (see
``checkpoint/safe_unpickling.py``). Nothing else is imported: the toolkit
(``shufflenet_backbones.toolkit``: commands, data tools, weights, deployment,
analysis) is imported by whoever uses it. docs/layout.md describes the tree.
"""
from . import (datasets, engine, models,  # noqa: F401  (registers the modules)
               visualization)
from .checkpoint.safe_unpickling import allow_mmengine_checkpoints
from .version import __version__

allow_mmengine_checkpoints()

__all__ = ['__version__', 'allow_mmengine_checkpoints']
