from .activation_checkpoint import checkpointed
from .channel_shuffle import channel_shuffle, concat_shuffle
from .kernel_size import check_odd_kernel
from .shuffle_units import ShuffleV1Unit, ShuffleV2Unit

__all__ = [
    'channel_shuffle', 'check_odd_kernel', 'concat_shuffle', 'checkpointed',
    'ShuffleV1Unit', 'ShuffleV2Unit'
]
