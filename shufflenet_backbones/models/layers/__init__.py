from .channel_shuffle import channel_shuffle, concat_shuffle
from .checkpoint import checkpointed
from .max_pool import ChannelsLastMaxPool2d
from .shuffle_units import ShuffleV1Unit, ShuffleV2Unit

__all__ = [
    'channel_shuffle', 'concat_shuffle', 'checkpointed', 'ChannelsLastMaxPool2d',
    'ShuffleV1Unit', 'ShuffleV2Unit'
]
