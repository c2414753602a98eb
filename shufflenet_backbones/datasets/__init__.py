"""Dataset tools: a synthetic COCO-format shapes dataset and config checks."""
from .checks import check_coco_dataset, check_config_datasets
from .synthetic_shapes import SHAPE_CLASSES, SHAPE_PALETTE, generate_shapes_coco

__all__ = [
    'SHAPE_CLASSES', 'SHAPE_PALETTE', 'check_coco_dataset', 'check_config_datasets',
    'generate_shapes_coco'
]
