"""Importing this registers every model part (see ``registry.py``)."""
from .backbones import ShuffleNetV1, ShuffleNetV2, ShuffleNetV2Star
from .dense_heads import SelectRPNHead
from .detectors import LightHeadRCNN
from .necks import LargeSeparableConv
from .roi_extractors import PSRoIExtractor

__all__ = [
    'ShuffleNetV1', 'ShuffleNetV2', 'ShuffleNetV2Star', 'SelectRPNHead',
    'LightHeadRCNN', 'LargeSeparableConv', 'PSRoIExtractor'
]
