"""Data pipeline parts that configs name: the label-range check transform."""
from .transforms import CheckSegLabels

__all__ = ['CheckSegLabels']
