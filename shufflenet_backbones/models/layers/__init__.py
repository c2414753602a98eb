from .channel_shuffle import channel_shuffle
from .checkpoint import checkpointed
from .shuffle_units import ShuffleV1Unit, ShuffleV2Unit

__all__ = ['channel_shuffle', 'checkpointed', 'ShuffleV1Unit', 'ShuffleV2Unit']
