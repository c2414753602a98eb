from .base_shufflenet import BaseShuffleNet, FeatureInfo
from .shufflenet_v1 import ShuffleNetV1
from .shufflenet_v2 import ShuffleNetV2, ShuffleNetV2Star
from .snet import SNet
from .v2star_from_v2 import (PretrainedV2Init, V2CheckpointError,
                             v2star_state_dict_from_v2)

__all__ = [
    'BaseShuffleNet', 'FeatureInfo', 'ShuffleNetV1', 'ShuffleNetV2', 'ShuffleNetV2Star',
    'SNet', 'PretrainedV2Init', 'V2CheckpointError', 'v2star_state_dict_from_v2'
]
