"""Dataset tools: generated shapes datasets (COCO detection, COCO-Stuff
segmentation and ImageNet classification layouts), config checks, and the
label-range check transform."""
from .checks import check_coco_dataset, check_config_datasets
from .synthetic_imagenet import SHAPE_WNIDS, generate_imagenet_folder
from .synthetic_shapes import SHAPE_CLASSES, SHAPE_PALETTE, generate_shapes_coco
from .synthetic_stuff import STUFF_CLASSES, STUFF_PALETTE, generate_shapes_stuff
from .transforms import CheckSegLabels

__all__ = [
    'SHAPE_CLASSES', 'SHAPE_PALETTE', 'SHAPE_WNIDS', 'STUFF_CLASSES',
    'STUFF_PALETTE', 'CheckSegLabels', 'check_coco_dataset', 'check_config_datasets',
    'generate_imagenet_folder', 'generate_shapes_coco', 'generate_shapes_stuff'
]
