"""Reading a checkpoint's state dict (through mmengine's loaders, so local files
load safely, see :mod:`.safe_unpickling`), its keys as a model sees them (no DDP
``module.``, a chosen prefix removed), comparing it with a model's with one-line
mismatch messages, and writing one. The plugin's ``PretrainedV2`` init and every
toolkit converter use these; there is no other copy."""
import os
import os.path as osp
from typing import Dict, List, Tuple

import torch
from mmengine.runner.checkpoint import _load_checkpoint

__all__ = [
    'BACKBONE_PREFIX', 'read_checkpoint', 'unwrapped_key', 'state_dict_of',
    'load_state_dict', 'strip_prefix', 'compare_state_dicts', 'describe_mismatch',
    'check_fits', 'save_state_dict'
]

BACKBONE_PREFIX = 'backbone.'  # where a whole mmdet / mmseg / mmpretrain model keeps it

_WRAPPER_PREFIX = 'module.'  # keys of a model saved while wrapped in DDP
_EXAMPLES = 3  # keys shown per kind of mismatch


def read_checkpoint(path: str, map_location: str = 'cpu') -> dict:
    """The checkpoint at ``path`` (a file or any URL mmengine reads) as a dict, read
    through mmengine's loader (for local files the package's safe, ``weights_only``
    loading).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: the file cannot be read or holds no dict; the message names it.
    """
    try:
        checkpoint = _load_checkpoint(path, map_location=map_location)
    except FileNotFoundError as err:
        raise FileNotFoundError(f'checkpoint not found: {path}') from err
    except Exception as err:  # corrupt / refused file: say which one, briefly
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ValueError(f'cannot read checkpoint {path}: {reason}') from err
    if not isinstance(checkpoint, dict):
        raise ValueError(f'checkpoint {path} holds a {type(checkpoint).__name__}, '
                         'not a dict')
    return checkpoint


def unwrapped_key(key: str) -> str:
    """``key`` without the ``module.`` of a model saved while wrapped in DDP."""
    return key[len(_WRAPPER_PREFIX):] if key.startswith(_WRAPPER_PREFIX) else key


def state_dict_of(checkpoint: dict, path: str) -> Dict[str, torch.Tensor]:
    """The state dict in a read checkpoint (its ``state_dict`` entry, or the whole
    file), keys as mmengine's ``load_checkpoint`` sees them (see
    :func:`unwrapped_key`). ValueError, naming ``path``, when it is no dict."""
    state_dict = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state_dict, dict):
        raise ValueError(f'checkpoint {path}: "state_dict" is a '
                         f'{type(state_dict).__name__}, not a dict')
    return {unwrapped_key(k): v for k, v in state_dict.items()}


def load_state_dict(path: str) -> Dict[str, torch.Tensor]:
    """:func:`state_dict_of` the checkpoint at ``path``; raises as
    :func:`read_checkpoint`."""
    return state_dict_of(read_checkpoint(path), path)


def strip_prefix(state_dict: Dict[str, torch.Tensor],
                 prefix: str) -> Dict[str, torch.Tensor]:
    """The entries of ``state_dict`` under ``prefix`` (``'backbone'`` and
    ``'backbone.'`` mean the same), with the prefix removed; empty if none."""
    prefix = prefix if prefix.endswith('.') else prefix + '.'
    return {k[len(prefix):]: v for k, v in state_dict.items() if k.startswith(prefix)}


def compare_state_dicts(model_sd: dict, ckpt_sd: dict
                        ) -> Tuple[List[str], List[str], List[str]]:
    """``(missing, unexpected, mismatched)`` keys of the checkpoint w.r.t. the model.

    ``num_batches_tracked`` is not required: BN does not use it in eval mode and
    converted checkpoints (e.g. from torchvision) often lack it.
    """
    missing = [k for k in model_sd
               if k not in ckpt_sd and not k.endswith('num_batches_tracked')]
    unexpected = [k for k in ckpt_sd if k not in model_sd]
    mismatched = [
        f'{k} {tuple(ckpt_sd[k].shape)} vs {tuple(v.shape)}'
        for k, v in model_sd.items()
        if k in ckpt_sd and hasattr(ckpt_sd[k], 'shape')
        and tuple(ckpt_sd[k].shape) != tuple(v.shape)
    ]
    return missing, unexpected, mismatched


def describe_mismatch(missing: List[str], unexpected: List[str],
                      mismatched: List[str]) -> str:
    """One line with the counts and a few examples of each kind of mismatch."""
    parts = []
    if missing:
        parts.append(f'{len(missing)} model weights missing (e.g. '
                     f'{", ".join(missing[:_EXAMPLES])})')
    if mismatched:
        parts.append(f'{len(mismatched)} with another shape, checkpoint vs model '
                     f'(e.g. {", ".join(mismatched[:_EXAMPLES])})')
    if unexpected:
        parts.append(f'{len(unexpected)} unexpected keys (e.g. '
                     f'{", ".join(unexpected[:_EXAMPLES])})')
    return '; '.join(parts)


def check_fits(model_sd: dict, ckpt_sd: dict, path: str, config: str) -> List[str]:
    """Raise ValueError, naming the file and a few keys, if the checkpoint lacks
    weights of the model or has other shapes -- i.e. it was trained for another
    architecture (mmengine would only warn and run a half-initialised model).

    Returns:
        list[str]: The checkpoint's keys the model does not use (harmless, e.g. a
        classifier head), for the caller to mention.
    """
    missing, unexpected, mismatched = compare_state_dicts(model_sd, ckpt_sd)
    if missing or mismatched:
        raise ValueError(f'checkpoint {path} does not fit the model of {config} -- '
                         'is it for another architecture? '
                         f'{describe_mismatch(missing, unexpected, mismatched)}')
    return unexpected


def save_state_dict(state_dict: dict, meta: dict, path: str) -> None:
    """Write ``{'state_dict': ..., 'meta': ...}`` to ``path`` (the layout every
    converter here writes and mmengine's ``Pretrained`` init reads), creating its
    folder."""
    if osp.dirname(path):
        os.makedirs(osp.dirname(path), exist_ok=True)
    torch.save(dict(state_dict=state_dict, meta=meta), path)
