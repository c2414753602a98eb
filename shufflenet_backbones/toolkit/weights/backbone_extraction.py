"""Extract the backbone of an ImageNet-trained classifier for the detection configs.

    python tools/model_converters/extract_backbone.py SRC DST

SRC: a checkpoint written while training a ``configs/cls/*.py`` classifier (mmengine
``{'state_dict': {backbone.*, neck.*, head.*}, 'meta': ..., 'optimizer': ...}``).
DST: ``{'state_dict': {backbone.* only}, 'meta': {...}}``, which a detector loads with
``init_cfg=dict(type='Pretrained', checkpoint=DST, prefix='backbone.')``. The optimizer
state, message hub and classifier head are left out (the file shrinks accordingly).
"""
import os.path as osp
from collections import OrderedDict
from typing import Dict, Optional

import torch

from ...checkpoint.state_dict import (BACKBONE_PREFIX, read_checkpoint,
                                      save_state_dict, state_dict_of,
                                      unwrapped_key)

# Scalar training facts worth keeping to trace the extraction back to its run.
_META_KEYS = ('epoch', 'iter', 'experiment_name', 'time', 'mmengine_version', 'seed')


class ExtractionError(Exception):
    """An expected problem with the input: printed as one line, exit code 1."""


def backbone_state_dict(state_dict: Dict[str, torch.Tensor],
                        path: str) -> 'OrderedDict[str, torch.Tensor]':
    """The ``backbone.*`` entries of ``state_dict``, keys unchanged (but for the
    ``module.`` of a DDP-wrapped save)."""
    backbone = OrderedDict()
    for key, value in state_dict.items():
        key = unwrapped_key(key)
        if key.startswith(BACKBONE_PREFIX):
            backbone[key] = value
    if not backbone:
        examples = ', '.join(list(state_dict)[:5]) or 'none'
        raise ExtractionError(
            f'checkpoint {path} has no "{BACKBONE_PREFIX}*" weights (keys: '
            f'{examples}) -- '
            'is it a classifier trained with configs/cls/*.py? (A file that already '
            'holds only a bare backbone needs no extraction.)')
    return backbone


def backbone_config(cfg_text: str) -> Optional[dict]:
    """``model.backbone`` of the training config saved in the checkpoint, if it
    parses (the config text is pretty-printed and self-contained)."""
    try:
        from mmengine.config import Config
        backbone = Config.fromstring(cfg_text, file_format='.py').model.backbone
        return backbone.to_dict()
    except Exception:  # an unparsable / odd config only costs this bit of meta
        return None


def extract(src: str, dst: str) -> dict:
    """Write the backbone of ``src`` to ``dst``; return the written meta."""
    try:
        checkpoint = read_checkpoint(src)
        backbone = backbone_state_dict(state_dict_of(checkpoint, src), src)
    except (FileNotFoundError, ValueError) as err:
        raise ExtractionError(str(err)) from err

    src_meta = checkpoint.get('meta') or {}
    meta = dict(extracted_from=osp.abspath(src), num_tensors=len(backbone))
    meta.update({k: src_meta[k] for k in _META_KEYS if k in src_meta})
    if isinstance(src_meta.get('cfg'), str):
        arch = backbone_config(src_meta['cfg'])
        if arch is not None:
            meta['backbone'] = arch

    save_state_dict(backbone, meta, dst)
    return meta
