"""Checkpoints, in one place (plugin side, so models may use it): reading a state
dict and its keys as a model sees them, comparing it with a model's
(:mod:`.state_dict`), loading mmengine's own files with torch's ``weights_only``
unpickler (:mod:`.safe_unpickling`), and which ``init_cfg`` entries load a file
(:mod:`.initializers`). The toolkit's converters and downloads build on these."""
from .initializers import loads_checkpoint
from .safe_unpickling import (UnsafeCheckpointError,
                              allow_mmengine_checkpoints, load_from_local)
from .state_dict import (BACKBONE_PREFIX, check_fits, compare_state_dicts,
                         describe_mismatch, load_state_dict, read_checkpoint,
                         save_state_dict, state_dict_of, strip_prefix,
                         unwrapped_key)

__all__ = [
    'BACKBONE_PREFIX', 'UnsafeCheckpointError', 'allow_mmengine_checkpoints',
    'check_fits', 'compare_state_dicts', 'describe_mismatch', 'load_from_local',
    'load_state_dict', 'loads_checkpoint', 'read_checkpoint', 'save_state_dict',
    'state_dict_of', 'strip_prefix', 'unwrapped_key'
]
