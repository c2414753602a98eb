"""Start ShuffleNet V2* from a ShuffleNet V2 checkpoint of the same width.

V2* is V2 plus one 3x3 depthwise conv + BN per unit (see :class:`ShuffleV2Unit`).
Each extra conv is set to the identity -- a Dirac kernel and a BN that passes its
input through in eval mode -- and every other weight is copied from V2, so the
V2* network computes V2's function exactly until training moves it.

:func:`v2star_state_dict_from_v2` does the conversion (the converter
tools/model_converters/shufflenetv2_to_v2star.py uses it too);
``init_cfg=dict(type='PretrainedV2', checkpoint=..., prefix='backbone.')``
(:class:`PretrainedV2Init`) does it from a config.
"""
import re
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.logging import print_log
from mmengine.model.weight_init import update_init_info
from mmengine.registry import WEIGHT_INITIALIZERS
from torch import Tensor
from torch.nn.modules.batchnorm import _BatchNorm

from ...checkpoint import (BACKBONE_PREFIX, describe_mismatch, read_checkpoint,
                           state_dict_of, strip_prefix)
from ..layers import ShuffleV2Unit

__all__ = [
    'PRETRAINED_V2', 'V2CheckpointError', 'PretrainedV2Init', 'identity_state',
    'stage2_channels', 'v2star_state_dict_from_v2'
]

PRETRAINED_V2 = 'PretrainedV2'  # the init_cfg type
_EXAMPLES = 3  # keys named per kind of problem
# A unit's branch, one of its ConvModules and the rest of a state-dict key.
_BRANCH_KEY = re.compile(r'(.+\.branch[12])\.(\d+)\.(.+)')
# What V2* has and V2 lacks: a 4th module in a basic unit's branch2 or a 3rd in a
# downsampling unit's branch1.
_V2STAR_ONLY = re.compile(r'(^|\.)(branch2\.3|branch1\.2)\.')
_STAGE2_KEY = 'layers.0.0.branch2.0.conv.weight'
_STEM_KEY = 'conv1.conv.weight'  # a bare backbone's first key
_TORCHVISION_KEYS = ('conv1.0.weight', 'stage2.0.branch1.0.weight')


class V2CheckpointError(ValueError):
    """The checkpoint is not a V2 one that fits the V2* model (the message names
    the file)."""


def _extra_conv_index(unit: ShuffleV2Unit) -> Optional[Tuple[str, int]]:
    """``(branch, index)`` of the V2* extra conv in ``unit``, None for a V2 unit.

    The layout is :class:`ShuffleV2Unit`'s: in a basic unit the extra conv starts
    ``branch2`` (4 modules instead of 3), in a downsampling unit it is the second
    module of ``branch1`` (3 instead of 2).
    """
    if unit.split:
        return ('branch2', 0) if len(unit.branch2) == 4 else None
    return ('branch1', 1) if len(unit.branch1) == 3 else None


def identity_state(conv_module: ConvModule) -> Dict[str, Tensor]:
    """State dict (keys relative to ``conv_module``) that makes a depthwise
    conv + BN the identity in eval mode.

    Conv: a Dirac kernel, 1 at the centre tap of each channel's own filter, which
    copies every pixel whatever the dilation (padding keeps the size). BN: weight
    1, bias 0, running mean 0 and running variance ``1 - eps``, so that eval-mode
    BN computes ``(x - 0) / sqrt((1 - eps) + eps) * 1 + 0 = x``; a variance of 1
    would scale by ``1 / sqrt(1 + eps)`` (5e-6 at eps 1e-5, per extra conv). In
    float32 the result is exactly ``x``.

    Raises:
        ValueError: the conv is not depthwise or the norm is no BN (GroupNorm
            normalises each sample and has no identity setting).
    """
    conv, norm = conv_module.conv, conv_module.norm if conv_module.with_norm else None
    if conv.groups != conv.in_channels or conv.in_channels != conv.out_channels:
        raise ValueError(f'identity_state: {conv} is not depthwise')
    if not (isinstance(norm, _BatchNorm) and norm.affine
            and norm.track_running_stats):
        raise ValueError('identity_state: the extra conv of V2* must be followed by '
                         f'an affine BN with running statistics to start as the '
                         f'identity, got {norm}')
    state = OrderedDict((k, v.detach().clone())
                        for k, v in conv_module.state_dict().items())
    weight = torch.zeros_like(conv.weight)  # (C, 1, kh, kw)
    weight[:, 0, weight.shape[2] // 2, weight.shape[3] // 2] = 1
    state['conv.weight'] = weight
    if conv.bias is not None:
        state['conv.bias'] = torch.zeros_like(conv.bias)
    name = conv_module.norm_name
    state[f'{name}.weight'] = torch.ones_like(norm.weight)
    state[f'{name}.bias'] = torch.zeros_like(norm.bias)
    state[f'{name}.running_mean'] = torch.zeros_like(norm.running_mean)
    state[f'{name}.running_var'] = torch.full_like(norm.running_var, 1 - norm.eps)
    state[f'{name}.num_batches_tracked'] = torch.zeros_like(
        norm.num_batches_tracked)
    return state


def stage2_channels(state_dict: Mapping[str, Tensor]) -> Optional[int]:
    """Stage-2 channels of a V2 / V2* state dict (its first unit's branch2 starts
    with the 1x1 conv to half of them in both layouts), None if it has none."""
    weight = state_dict.get(_STAGE2_KEY)
    return None if weight is None or weight.dim() != 4 else 2 * weight.shape[0]


def _width_name(channels: Optional[int], arch_settings: dict) -> str:
    for widen_factor, widths in arch_settings.items():
        if widths[0] == channels:
            return f'{widen_factor}x (stage 2: {channels} channels)'
    return f'stage 2: {channels} channels'


def v2star_state_dict_from_v2(
        v2_state_dict: Mapping[str, Tensor],
        v2star: nn.Module,
        source: str = 'the V2 state dict') -> Tuple[Dict[str, Tensor], List[str]]:
    """V2* weights that compute V2's function: every V2 weight copied, each extra
    depthwise conv + BN set to the identity (:func:`identity_state`, BN eps read
    from the model).

    Keys shift by one after the extra conv inside its branch: a basic unit's
    ``branch2.{i}`` is V2's ``branch2.{i-1}``, a downsampling unit's
    ``branch1.2`` is V2's ``branch1.1``; all others keep their names.

    Args:
        v2_state_dict (Mapping[str, Tensor]): V2 backbone weights, keys as
            ``ShuffleNetV2.state_dict()`` names them (no ``backbone.`` prefix).
        v2star (nn.Module): The ShuffleNetV2Star to fill, any width, out_indices,
            strides, dilations or BN eps. V2 weights of layers it does not keep
            (beyond its deepest output) are returned as unused.
        source (str): What to call the V2 weights in errors, e.g. the file.

    Returns:
        tuple[dict, list[str]]: The model's complete state dict (load it with
        ``strict=True``), and the V2 keys it did not use.

    Raises:
        V2CheckpointError: ``v2_state_dict`` is no V2 state dict of the model's
            width (missing keys, other shapes, a V2* one); one line naming
            ``source``.
        ValueError: ``v2star`` is no V2* (or its extra convs are not followed by
            BN).

    Example:
        >>> from shufflenet_backbones.models import ShuffleNetV2, ShuffleNetV2Star
        >>> v2 = ShuffleNetV2(widen_factor=0.5)
        >>> v2star = ShuffleNetV2Star(widen_factor=0.5)
        >>> weights, unused = v2star_state_dict_from_v2(v2.state_dict(), v2star)
        >>> v2star.load_state_dict(weights)
        <All keys matched successfully>
        >>> print(len(weights) - len(v2.state_dict()), unused)
        96 []
    """
    extra = {}  # branch path -> (index, ConvModule) of its extra conv
    for name, module in v2star.named_modules():
        if isinstance(module, ShuffleV2Unit):
            where = _extra_conv_index(module)
            if where is not None:
                extra[f'{name}.{where[0]}'] = (where[1],
                                               getattr(module, where[0])[where[1]])
    if not extra:
        raise ValueError(f'{type(v2star).__name__} has no V2* extra depthwise convs: '
                         'V2 weights load into a ShuffleNetV2 as they are')
    v2star_only = [k for k in v2_state_dict if _V2STAR_ONLY.search(k)]
    if v2star_only:
        raise V2CheckpointError(
            f'{source} is already a ShuffleNetV2Star checkpoint (it has '
            f'{v2star_only[0]}): load it with type=\'Pretrained\'')
    if stage2_channels(v2_state_dict) is None:  # e.g. V1, another network
        examples = ', '.join(list(v2_state_dict)[:_EXAMPLES]) or 'none'
        raise V2CheckpointError(f'{source} holds no ShuffleNetV2 backbone (no '
                                f'{_STAGE2_KEY}; keys: {examples})')

    target = v2star.state_dict()
    identities = {}  # key -> identity value
    for branch, (index, conv_module) in extra.items():
        for key, value in identity_state(conv_module).items():
            identities[f'{branch}.{index}.{key}'] = value
    state, used, missing, mismatched = OrderedDict(), set(), [], []
    for key, value in target.items():
        if key in identities:
            state[key] = identities[key]
            continue
        src = key
        match = _BRANCH_KEY.fullmatch(key)
        if match and match[1] in extra and int(match[2]) > extra[match[1]][0]:
            src = f'{match[1]}.{int(match[2]) - 1}.{match[3]}'
        if src not in v2_state_dict:
            if key.endswith('num_batches_tracked'):  # often not saved; unused in eval
                state[key] = value
            else:
                missing.append(src)
            continue
        used.add(src)
        if tuple(v2_state_dict[src].shape) != tuple(value.shape):
            mismatched.append(f'{src} {tuple(v2_state_dict[src].shape)} vs '
                              f'{tuple(value.shape)}')
        state[key] = v2_state_dict[src]
    arch_settings = getattr(type(v2star), 'arch_settings', {})
    width, model_width = stage2_channels(v2_state_dict), stage2_channels(target)
    if width != model_width:
        raise V2CheckpointError(
            f'{source} is a ShuffleNetV2 of width {_width_name(width, arch_settings)}'
            f', the model is {_width_name(model_width, arch_settings)}: use the V2 '
            'checkpoint of the same widen_factor')
    if missing or mismatched:
        raise V2CheckpointError(f'{source} is not a ShuffleNetV2 checkpoint that '
                                'fits this V2*: '
                                f'{describe_mismatch(missing, [], mismatched)}')
    return state, [k for k in v2_state_dict if k not in used]


@WEIGHT_INITIALIZERS.register_module(name=PRETRAINED_V2)
class PretrainedV2Init:
    """Initialise a ShuffleNetV2Star from a ShuffleNetV2 checkpoint of the same
    width (:func:`v2star_state_dict_from_v2`): V2's weights, identity extra convs.

    Unlike ``Pretrained``, every weight of the model must come from the file (or
    be an extra conv): a missing or reshaped weight is an error naming the file.
    V2 weights beyond the model's deepest output are skipped (and logged).
    :class:`BaseShuffleNet` loads it after any other init, as mmengine does
    ``Pretrained``.

    Args:
        checkpoint (str): V2 checkpoint: this project's (a cls training run, an
            exported backbone, torchvision2shufflenet.py's output), mmpretrain's,
            or any mmengine checkpoint holding a V2 backbone. Raw torchvision
            files must be converted first (tools/model_converters/
            torchvision2shufflenet.py).
        prefix (str, optional): Prefix of the backbone's keys in the file, e.g.
            ``'backbone.'``. None: the keys are the backbone's. Default: None.
        map_location (str): Where to load the tensors. Default: 'cpu'.

    Example:
        >>> # a V2* detector backbone starting from V2's ImageNet weights
        >>> backbone = dict(
        ...     type='ShuffleNetV2Star', widen_factor=1.0,
        ...     init_cfg=dict(type='PretrainedV2', prefix='backbone.',
        ...                   checkpoint='checkpoints/shufflenetv2_x1_0.pth'))
    """

    loads_checkpoint = True  # held back until the children have initialised

    def __init__(self,
                 checkpoint: str,
                 prefix: Optional[str] = None,
                 map_location: str = 'cpu'):
        self.checkpoint = checkpoint
        self.prefix = prefix
        self.map_location = map_location

    def _v2_state_dict(self) -> Dict[str, Tensor]:
        path = self.checkpoint
        try:
            state_dict = state_dict_of(
                read_checkpoint(path, map_location=self.map_location), path)
        except FileNotFoundError as err:
            raise FileNotFoundError(f'{PRETRAINED_V2}: {err}') from err
        except ValueError as err:
            raise V2CheckpointError(f'{PRETRAINED_V2}: {err}') from err
        if any(k in state_dict for k in _TORCHVISION_KEYS):
            raise V2CheckpointError(
                f'{path} has torchvision\'s ShuffleNetV2 keys: convert it first with '
                'tools/model_converters/torchvision2shufflenet.py (then '
                "prefix='backbone.')")
        if self.prefix:
            selected = strip_prefix(state_dict, self.prefix)
            if not selected:
                examples = ', '.join(list(state_dict)[:_EXAMPLES]) or 'none'
                raise V2CheckpointError(f'{path} has no "{self.prefix}*" weights '
                                        f'(keys: {examples})')
            return selected
        if _STEM_KEY not in state_dict and strip_prefix(state_dict, BACKBONE_PREFIX):
            raise V2CheckpointError(f'{path} holds a whole model: set '
                                    f"prefix='{BACKBONE_PREFIX}'")
        return state_dict

    def __call__(self, module: nn.Module) -> None:
        v2_state_dict = self._v2_state_dict()
        state_dict, unused = v2star_state_dict_from_v2(v2_state_dict, module,
                                                       source=self.checkpoint)
        module.load_state_dict(state_dict, strict=True)
        message = (f'{PRETRAINED_V2}: {type(module).__name__} from the V2 '
                   f'checkpoint {self.checkpoint} (extra depthwise convs set to '
                   'the identity)')
        if unused:
            message += (f'; {len(unused)} V2 weights of layers the model does not '
                        f'keep were skipped (e.g. {unused[0]})')
        print_log(message, logger='current')
        if hasattr(module, '_params_init_info'):
            update_init_info(module, init_info=self._get_init_info())

    def _get_init_info(self) -> str:
        return (f'{type(self).__name__}: V2 weights from {self.checkpoint}, '
                'identity extra convs')
