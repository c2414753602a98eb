"""Export the backbone of an ImageNet-trained classifier for the detection configs.

    python tools/model_converters/export_backbone.py SRC DST

SRC: a checkpoint written while training a ``configs/cls/*.py`` classifier (mmengine
``{'state_dict': {backbone.*, neck.*, head.*}, 'meta': ..., 'optimizer': ...}``).
DST: ``{'state_dict': {backbone.* only}, 'meta': {...}}``, which a detector loads with
``init_cfg=dict(type='Pretrained', checkpoint=DST, prefix='backbone.')``. The optimizer
state, message hub and classifier head are left out (the file shrinks accordingly).
"""
import argparse
import os
import os.path as osp
import sys
from collections import OrderedDict
from typing import Dict, Optional

import torch

# Importing the package allow-lists mmengine's checkpoint types (HistoryBuffer,
# numpy scalars in the message hub, ...) for torch.load(weights_only=True).
import shufflenet_backbones  # noqa: F401

PREFIX = 'backbone.'
# A model saved while wrapped in DDP (not by mmengine, which unwraps it first)
# has its keys behind this.
_WRAPPER_PREFIXES = ('module.', )
# Scalar training facts worth keeping to trace the export back to its run.
_META_KEYS = ('epoch', 'iter', 'experiment_name', 'time', 'mmengine_version', 'seed')


class ExportError(Exception):
    """An expected problem with the input: printed as one line, exit code 1."""


def load_checkpoint(path: str) -> dict:
    if not osp.isfile(path):
        raise ExportError(f'checkpoint not found: {path}')
    try:
        checkpoint = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as err:  # corrupt file or a global that is not allowed
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ExportError(f'cannot read checkpoint {path}: {reason}') from err
    if not isinstance(checkpoint, dict):
        raise ExportError(f'checkpoint {path} holds a {type(checkpoint).__name__}, '
                          'not a dict')
    return checkpoint


def backbone_state_dict(state_dict: Dict[str, torch.Tensor],
                        path: str) -> 'OrderedDict[str, torch.Tensor]':
    """The ``backbone.*`` entries of ``state_dict``, keys unchanged."""
    backbone = OrderedDict()
    for key, value in state_dict.items():
        for wrapper in _WRAPPER_PREFIXES:
            if key.startswith(wrapper):
                key = key[len(wrapper):]
        if key.startswith(PREFIX):
            backbone[key] = value
    if not backbone:
        examples = ', '.join(list(state_dict)[:5]) or 'none'
        raise ExportError(
            f'checkpoint {path} has no "{PREFIX}*" weights (keys: {examples}) -- '
            'is it a classifier trained with configs/cls/*.py? (A file that already '
            'holds only a bare backbone needs no export.)')
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


def export(src: str, dst: str) -> dict:
    """Write the backbone of ``src`` to ``dst``; return the written meta."""
    checkpoint = load_checkpoint(src)
    state_dict = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state_dict, dict):
        raise ExportError(f'checkpoint {src}: "state_dict" is a '
                          f'{type(state_dict).__name__}, not a dict')
    backbone = backbone_state_dict(state_dict, src)

    src_meta = checkpoint.get('meta') or {}
    meta = dict(exported_from=osp.abspath(src), num_tensors=len(backbone))
    meta.update({k: src_meta[k] for k in _META_KEYS if k in src_meta})
    if isinstance(src_meta.get('cfg'), str):
        arch = backbone_config(src_meta['cfg'])
        if arch is not None:
            meta['backbone'] = arch

    if osp.dirname(dst):
        os.makedirs(osp.dirname(dst), exist_ok=True)
    torch.save(dict(state_dict=backbone, meta=meta), dst)
    return meta


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='classifier checkpoint (.pth) from training')
    parser.add_argument('dst', help='where to write the backbone checkpoint')
    args = parser.parse_args(argv)
    try:
        meta = export(args.src, args.dst)
    except ExportError as err:
        print(f'export_backbone.py: error: {err}', file=sys.stderr)
        sys.exit(1)
    arch = meta.get('backbone', {}).get('type', 'backbone')
    print(f'wrote {meta["num_tensors"]} tensors of {arch} to {args.dst}')


if __name__ == '__main__':
    main()
