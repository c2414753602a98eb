from .activation_checkpoint import checkpointed
from .channel_shuffle import channel_shuffle, concat_shuffle
from .shuffle_units import ShuffleV1Unit, ShuffleV2Unit

__all__ = [
    'channel_shuffle', 'concat_shuffle', 'checkpointed',
    'ShuffleV1Unit', 'ShuffleV2Unit'
]
