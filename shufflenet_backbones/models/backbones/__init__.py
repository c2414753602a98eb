from .base_shufflenet import BaseShuffleNet, FeatureInfo
from .shufflenet_v1 import ShuffleNetV1
from .shufflenet_v2 import ShuffleNetV2, ShuffleNetV2Star

__all__ = [
    'BaseShuffleNet', 'FeatureInfo', 'ShuffleNetV1', 'ShuffleNetV2', 'ShuffleNetV2Star'
]
