"""Convert a torchvision ShuffleNetV2 checkpoint to this project's layout.

    python tools/model_converters/torchvision2shufflenet.py SRC DST

SRC: a ``shufflenet_v2_x{0_5,1_0,1_5,2_0}`` state dict as torchvision saves it.
DST: ``{'state_dict': ..., 'meta': ...}`` with mmpretrain's classifier keys
(``backbone.*``, ``head.fc.*``). Detectors load it with
``init_cfg=dict(type='Pretrained', checkpoint=DST, prefix='backbone.')``.
The two networks are the same function (same unit layout, split and shuffle), so
only names change; torchvision's preprocessing (RGB, ImageNet mean / std) applies.
"""
import re
from collections import OrderedDict
from typing import Dict

import torch

# torchvision module index inside a Sequential -> ConvModule position and part
_BRANCH1 = {'0': '0.conv', '1': '0.bn', '2': '1.conv', '3': '1.bn'}
_BRANCH2 = {'0': '0.conv', '1': '0.bn', '3': '1.conv', '4': '1.bn', '5': '2.conv',
            '6': '2.bn'}
_CONV_BN = {'0': 'conv', '1': 'bn'}


def _convert_key(key: str) -> str:
    m = re.fullmatch(r'conv1\.(\d)\.(\w+)', key)
    if m:
        return f'backbone.conv1.{_CONV_BN[m[1]]}.{m[2]}'
    m = re.fullmatch(r'stage([234])\.(\d+)\.branch([12])\.(\d)\.(\w+)', key)
    if m:
        table = _BRANCH1 if m[3] == '1' else _BRANCH2
        return (f'backbone.layers.{int(m[1]) - 2}.{m[2]}.branch{m[3]}.'
                f'{table[m[4]]}.{m[5]}')
    m = re.fullmatch(r'conv5\.(\d)\.(\w+)', key)
    if m:
        return f'backbone.layers.3.{_CONV_BN[m[1]]}.{m[2]}'
    m = re.fullmatch(r'fc\.(weight|bias)', key)
    if m:
        return f'head.fc.{m[1]}'
    raise KeyError(key)


def convert(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    converted, unknown = OrderedDict(), []
    for key, value in state_dict.items():
        try:
            converted[_convert_key(key)] = value
        except KeyError:
            unknown.append(key)
    if unknown:
        raise ValueError(
            f'not a torchvision ShuffleNetV2 state dict: {len(unknown)} unknown '
            f'keys, e.g. {unknown[:5]}')
    return converted
