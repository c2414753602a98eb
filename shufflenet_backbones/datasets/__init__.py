"""Data pipeline parts that configs name: the label-range check transform and the
loading transforms that skip bad files, and the config rewrite that puts them in."""
from .safe_loading import (SafeLoadImageFromFile, SafeLoadSegAnnotations,
                           loads_safely, with_safe_loading)
from .transforms import CheckSegLabels

__all__ = [
    'CheckSegLabels', 'SafeLoadImageFromFile', 'SafeLoadSegAnnotations',
    'loads_safely', 'with_safe_loading'
]
