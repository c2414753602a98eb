"""Toolkit: data (not imported by the plugin): the generated shapes
datasets (COCO detection, COCO-Stuff segmentation and ImageNet classification
layouts) and the checks that a config's datasets are in place."""
from .checks import check_coco_dataset, check_config_datasets
from .synthetic_imagenet import SHAPE_WNIDS, generate_imagenet_folder
from .synthetic_shapes import (SHAPE_CLASSES, SHAPE_PALETTE,
                               generate_shapes_coco)
from .synthetic_stuff import (STUFF_CLASSES, STUFF_PALETTE,
                              generate_shapes_stuff)

__all__ = [
    'SHAPE_CLASSES', 'SHAPE_PALETTE', 'SHAPE_WNIDS', 'STUFF_CLASSES',
    'STUFF_PALETTE', 'check_coco_dataset', 'check_config_datasets',
    'generate_imagenet_folder', 'generate_shapes_coco', 'generate_shapes_stuff'
]
