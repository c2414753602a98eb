"""Importing this registers every model part (see ``registry.py``)."""
from .backbones import ShuffleNetV1, ShuffleNetV2, ShuffleNetV2Star, SNet
from .dense_heads import LightRPNHead, SelectRPNHead
from .detectors import LightHeadRCNN, ThunderNet
from .necks import (ContextEnhancementModule, LargeSeparableConv,
                    SpatialAttentionModule, ThunderNetNeck)
from .roi_extractors import PSRoIExtractor

__all__ = [
    'ShuffleNetV1', 'ShuffleNetV2', 'ShuffleNetV2Star', 'SNet', 'SelectRPNHead',
    'LightRPNHead', 'LightHeadRCNN', 'ThunderNet', 'LargeSeparableConv',
    'ContextEnhancementModule', 'SpatialAttentionModule', 'ThunderNetNeck',
    'PSRoIExtractor'
]
