"""Convert a ShuffleNet V2 checkpoint into a ShuffleNet V2* one of the same width.

    python tools/model_converters/shufflenetv2_to_v2star.py SRC DST [--bn-eps EPS]

SRC: a V2 checkpoint -- this project's (a configs/cls training run, an exported
backbone, torchvision2shufflenet.py's output), mmpretrain's, a V2 detector's or
segmenter's, or torchvision's raw ``shufflenet_v2_x*`` file (converted on the way).
DST: ``{'state_dict': ..., 'meta': ...}`` in which the backbone is a V2* that
computes V2's function: V2's weights, each extra depthwise conv + BN set to the
identity. Everything else in SRC (a classifier's head, a detector's neck and heads)
is kept as it is. Load it with
``init_cfg=dict(type='Pretrained', checkpoint=DST, prefix='backbone.')``, or skip
the file and write ``type='PretrainedV2'`` with SRC in a V2* config.

The identity BN holds running variance ``1 - eps``: give ``--bn-eps`` if the V2*
config sets another BN eps than mmcv's 1e-5 (PretrainedV2 reads it from the model).
"""
import os.path as osp
from collections import OrderedDict
from typing import Dict, Tuple

import torch

from ...checkpoint.state_dict import (BACKBONE_PREFIX, read_checkpoint,
                                      save_state_dict, state_dict_of,
                                      strip_prefix)
from ...models import ShuffleNetV2Star
from ...models.backbones.v2star_from_v2 import (V2CheckpointError,
                                                stage2_channels,
                                                v2star_state_dict_from_v2)
from . import torchvision_keys as tv

ALL_OUTPUTS = (-1, 0, 1, 2, 3)  # keeps every layer, so every V2 weight is used


class ConversionError(Exception):
    """An expected problem with the input: printed as one line, exit code 1."""


def _is_torchvision(state_dict: Dict[str, torch.Tensor]) -> bool:
    return 'conv1.0.weight' in state_dict and any(
        k.startswith('stage2.') for k in state_dict)


def _split_backbone(state_dict: Dict[str, torch.Tensor]
                    ) -> Tuple[str, Dict[str, torch.Tensor]]:
    """``(prefix, backbone weights without it)``: ``backbone.*`` of a whole model,
    or the state dict itself when it is a bare backbone's."""
    if f'{BACKBONE_PREFIX}conv1.conv.weight' in state_dict:
        return BACKBONE_PREFIX, strip_prefix(state_dict, BACKBONE_PREFIX)
    return '', dict(state_dict)


def convert(src: str, dst: str, bn_eps: float = 1e-5) -> dict:
    """Write the V2* version of the V2 checkpoint ``src`` to ``dst``; return the
    written meta. ConversionError (one line naming ``src``) for expected problems.
    """
    try:
        state_dict = state_dict_of(read_checkpoint(src), src)
    except (FileNotFoundError, ValueError) as err:
        raise ConversionError(str(err)) from err
    source_format = 'mmengine'
    if _is_torchvision(state_dict):
        try:
            state_dict = tv.convert(state_dict)
        except ValueError as err:
            raise ConversionError(f'{src}: {err}') from err
        source_format = 'torchvision'
    prefix, v2 = _split_backbone(state_dict)

    width = stage2_channels(v2)  # the V2* to build: that of the same width
    widen_factor = next((w for w, channels in ShuffleNetV2Star.arch_settings.items()
                         if channels[0] == width), None)
    if widen_factor is None:
        examples = ', '.join(list(state_dict)[:3]) or 'none'
        detail = (f'stage 2 has {width} channels, no V2 width has'
                  if width else f'keys: {examples}')
        raise ConversionError(f'{src} is not a ShuffleNetV2 checkpoint ({detail})')
    model = ShuffleNetV2Star(widen_factor=widen_factor, out_indices=ALL_OUTPUTS,
                             norm_cfg=dict(type='BN', eps=bn_eps))
    try:
        backbone, unused = v2star_state_dict_from_v2(v2, model, source=src)
    except V2CheckpointError as err:
        raise ConversionError(str(err)) from err
    if unused:  # all layers are kept: anything left over is no V2 weight
        raise ConversionError(f'{src} is not a ShuffleNetV2 checkpoint: '
                              f'{len(unused)} backbone keys V2 does not have '
                              f'(e.g. {", ".join(unused[:3])})')

    out = OrderedDict((prefix + k, v) for k, v in backbone.items())
    if prefix:  # the rest of the model (head, neck, ...) as it was
        out.update((k, v) for k, v in state_dict.items() if not k.startswith(prefix))
    meta = dict(converted_from=osp.abspath(src), source_format=source_format,
                backbone='ShuffleNetV2Star', widen_factor=widen_factor,
                extra_bn_eps=bn_eps, num_tensors=len(out))
    save_state_dict(out, meta, dst)
    return meta
