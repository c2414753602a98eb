"""The steps that turn a published file into this package's keys, by name (what a
:class:`~.zoo.WeightsEntry` lists): torchvision's ShuffleNetV2, mmpretrain's
classifiers, and V2 -> V2*."""
import importlib
from collections import OrderedDict
from typing import Callable, Dict

from ...checkpoint.state_dict import (BACKBONE_PREFIX, read_checkpoint,
                                      save_state_dict, state_dict_of)
from .zoo import FetchError

# Converter name -> 'module:function'. Each function is called as
# ``function(src_path, dst_path)``: it reads the checkpoint at src_path and writes
# ``{'state_dict': ..., 'meta': ...}`` to dst_path. Resolved only when a step runs,
# so an entry whose converter lives in a module not installed fails by itself.
CONVERTERS: Dict[str, str] = {
    'torchvision': f'{__name__}:convert_torchvision',
    'mmpretrain': f'{__name__}:convert_mmpretrain',
    'v2_to_v2star': 'shufflenet_backbones.toolkit.weights.v2star_conversion:convert',
}


def convert_torchvision(src: str, dst: str) -> None:
    """torchvision ``shufflenet_v2_x*`` state dict -> this package's keys
    (``backbone.*``, ``head.fc.*``), see :mod:`.torchvision_keys`."""
    from .torchvision_keys import convert
    checkpoint = read_checkpoint(src)
    state_dict = checkpoint.get('state_dict', checkpoint.get('model', checkpoint))
    save_state_dict(convert(state_dict), dict(source_format='torchvision'), dst)


def convert_mmpretrain(src: str, dst: str) -> None:
    """mmpretrain ImageClassifier checkpoint: the keys are already ours, so keep its
    ``backbone.*`` and ``head.*`` tensors and drop the rest of the file."""
    state_dict = state_dict_of(read_checkpoint(src), src)
    kept = OrderedDict((k, v) for k, v in state_dict.items()
                       if k.startswith((BACKBONE_PREFIX, 'head.')))
    if not any(k.startswith(BACKBONE_PREFIX) for k in kept):
        raise ValueError('not an mmpretrain classifier checkpoint: no '
                         f'"{BACKBONE_PREFIX}*" keys (e.g. {list(state_dict)[:3]})')
    save_state_dict(kept, dict(source_format='mmpretrain'), dst)


def converter(name: str) -> Callable[[str, str], None]:
    module_name, _, function = CONVERTERS[name].partition(':')
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        raise FetchError(f'converter {name!r} needs {module_name}, which is not '
                         f'installed ({err})') from err
    if not hasattr(module, function):
        raise FetchError(f'converter {name!r}: {module_name} has no {function}()')
    return getattr(module, function)
