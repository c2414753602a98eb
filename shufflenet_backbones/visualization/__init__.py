"""Visualizers that configs name: mmdet's and mmseg's local visualizers drawing
small images scaled up, so that their labels can be read."""
from .local_visualizer import (UpscaledDetLocalVisualizer,
                               UpscaledSegLocalVisualizer, upscale_sample)

__all__ = ['UpscaledDetLocalVisualizer', 'UpscaledSegLocalVisualizer', 'upscale_sample']
