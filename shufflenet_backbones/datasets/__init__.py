"""Data pipeline parts that configs name: the label-range check transform and the
loading transforms that skip bad files."""
from .safe_loading import SafeLoadImageFromFile, SafeLoadSegAnnotations
from .transforms import CheckSegLabels

__all__ = ['CheckSegLabels', 'SafeLoadImageFromFile', 'SafeLoadSegAnnotations']
