from .cem import ContextEnhancementModule
from .large_separable_conv import LargeSeparableConv
from .sam import SpatialAttentionModule
from .thundernet_neck import ThunderNetNeck

__all__ = [
    'ContextEnhancementModule', 'LargeSeparableConv', 'SpatialAttentionModule',
    'ThunderNetNeck'
]
