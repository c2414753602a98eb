"""Training hooks that keep a run's checkpoints worth resuming from.

- :class:`StopOnNonFiniteLossHook` stops a diverging run at the first iteration
  whose loss is NaN or infinite, naming the iteration and the loss terms.
- :class:`SafeCheckpointHook` is mmengine's ``CheckpointHook`` that never writes
  non-finite weights and writes every checkpoint and ``last_checkpoint``
  atomically, so that ``--resume`` always finds a whole, finite checkpoint.

Every training config in ``configs/`` turns both on (``custom_hooks`` and
``default_hooks.checkpoint``). Both raise :class:`TrainingDivergedError`, which
``tools/train.py`` prints as one ``error:`` line (exit code 1).
"""
import math
import os
import os.path as osp
from collections import deque
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmengine.dist import is_main_process
from mmengine.fileio.backends import LocalBackend
from mmengine.hooks import CheckpointHook, Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS

DATA_BATCH = Optional[Union[dict, tuple, list]]


class TrainingDivergedError(RuntimeError):
    """Training produced non-finite numbers: the run stops with this message."""


def _last_checkpoint_hint(runner) -> str:
    """Where ``--resume`` continues from, for the end of an error message."""
    last = runner.message_hub.get_info('last_ckpt')
    if last is None:
        return ('no checkpoint was written yet: lower the learning rate or clip '
                'gradients (optim_wrapper.clip_grad) and start again')
    return (f'{osp.join(runner.work_dir, "last_checkpoint")} points at {last}, the '
            'last checkpoint (finite weights): lower the learning rate or clip '
            'gradients (optim_wrapper.clip_grad) and --resume from it')


def _learning_rate(runner) -> str:
    try:
        lrs = runner.optim_wrapper.get_lr()
    except (AttributeError, KeyError, IndexError):
        return 'unknown'
    values = [lr for group in lrs.values() for lr in group]
    return ', '.join(f'{lr:.4g}' for lr in dict.fromkeys(values)) or 'unknown'


def _as_float(value) -> Optional[float]:
    """A loss value (tensor, list of tensors or number) as one float."""
    if isinstance(value, torch.Tensor):
        return float(value.detach().float().sum()) if value.numel() else None
    if isinstance(value, (list, tuple)):
        parts = [_as_float(v) for v in value]
        return sum(p for p in parts if p is not None)
    if isinstance(value, (int, float)):
        return float(value)
    return None


@HOOKS.register_module()
class StopOnNonFiniteLossHook(Hook):
    """Stop training at the first iteration whose loss is NaN or infinite.

    mmdet's ``CheckInvalidLossHook`` asserts on the total loss every ``interval``
    iterations; this hook names what went wrong: the iteration (counted from 1, as
    the log does), every non-finite loss term, the learning rate and the checkpoint
    to resume from. It reads the loss terms the model already returned
    (``outputs`` of ``after_train_iter``), so checking every iteration costs
    nothing, and it runs before ``CheckpointHook``, so the bad iteration is never
    saved.

    Args:
        interval (int): Check every ``interval`` iterations. Defaults to 1.

    Example:
        >>> custom_hooks = [dict(type='StopOnNonFiniteLossHook')]
        >>> # iteration 37: non-finite loss: loss_cls=nan (learning rate 0.02)
        >>> # -- the run stopped; work_dirs/x/last_checkpoint points at ...
    """

    priority = 'ABOVE_NORMAL'  # before the lr steps, the log and the checkpoint

    def __init__(self, interval: int = 1):
        if interval < 1:
            raise ValueError(f'interval must be >= 1, got {interval}')
        self.interval = interval

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: DATA_BATCH = None,
                         outputs: Optional[Dict] = None) -> None:
        if not outputs or not self.every_n_train_iters(runner, self.interval):
            return
        values = {key: _as_float(value) for key, value in outputs.items()
                  if 'loss' in key}  # the terms mmengine sums into the loss
        bad = {key: value for key, value in values.items()
               if value is not None and not math.isfinite(value)}
        if len(bad) > 1:
            bad.pop('loss', None)  # the sum is bad because a term is
        if not bad:
            return
        terms = ', '.join(f'{key}={value}' for key, value in bad.items())
        raise TrainingDivergedError(
            f'iteration {runner.iter + 1}: non-finite loss: {terms} (learning '
            f'rate {_learning_rate(runner)}) -- the run stopped; '
            f'{_last_checkpoint_hint(runner)}')


def first_non_finite(model: torch.nn.Module) -> Optional[str]:
    """The name of the first parameter or buffer holding NaN or inf, else None.

    Args:
        model (nn.Module): The model (a wrapper is looked through).
    """
    if is_model_wrapper(model):
        model = model.module
    tensors = list(model.named_parameters()) + list(model.named_buffers())
    for name, tensor in tensors:
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            return name
    return None


def _fsync(path: str) -> None:
    """Flush a file (or a folder's entries) to the disk; best effort."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_text(path: str, text: str) -> None:
    """Write ``text`` to ``path`` so that the file is either the old or the new
    one, never a truncated mix: a temporary file beside it, then a rename.

    Args:
        path (str): The file to write.
        text (str): Its new content.
    """
    tmp = f'{path}.tmp'
    try:
        with open(tmp, 'w') as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise
    _fsync(osp.dirname(path) or '.')


@HOOKS.register_module()
class SafeCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` (same arguments) with two guarantees that
    ``--resume`` relies on:

    - **Finite weights.** Before a checkpoint is saved, every parameter and buffer
      is checked; a NaN or inf raises :class:`TrainingDivergedError` naming the
      iteration and the first bad tensor, and nothing is written, so
      ``last_checkpoint`` keeps pointing at the last good state.
    - **Atomic writes.** The checkpoint is written under a temporary name
      (``iter_N.pth.tmp``), flushed to the disk and renamed; then
      ``last_checkpoint`` is replaced the same way; only then are checkpoints
      beyond ``max_keep_ckpts`` removed. A kill or a full disk during a save
      leaves the previous checkpoint and ``last_checkpoint`` as they were, and no
      truncated file under a checkpoint name. (mmengine writes the file in place,
      writes ``last_checkpoint`` with a bare ``open``, and removes the oldest
      checkpoint *before* writing the new one: with ``max_keep_ckpts=1`` a failed
      save left nothing to resume from.)

    Why a subclass and not a file backend writing through a temporary file: the
    backend would cover the ``.pth`` but not ``last_checkpoint`` (written with
    ``open``, not the backend) nor the order of the removal, and it would change
    mmengine's writes process-wide. The weight check also belongs to the saving
    step (it must hold for every save, whatever the loss did). Remote
    ``out_dir``s (non-local backends, whose puts are whole-object) keep mmengine's
    own saving, with the weight check; so do ``save_best`` checkpoints (weights
    checked, written in place), which ``last_checkpoint`` never points at.

    Example:
        >>> default_hooks = dict(checkpoint=dict(
        ...     type='SafeCheckpointHook', by_epoch=False, interval=2000))
    """

    def _check_weights(self, runner, step: int) -> None:
        name = first_non_finite(runner.model)
        if name is not None:
            where = 'epoch' if self.by_epoch else 'iteration'
            raise TrainingDivergedError(
                f'{where} {step}: checkpoint not written: non-finite weights '
                f'(first: {name}) -- the run stopped; '
                f'{_last_checkpoint_hint(runner)}')

    def _save_best_checkpoint(self, runner, metrics) -> None:
        if self.save_best is not None:
            step = (runner.epoch if self.by_epoch else runner.iter)
            self._check_weights(runner, step)
        super()._save_best_checkpoint(runner, metrics)

    def _save_checkpoint_with_step(self, runner, step: int, meta: dict) -> None:
        self._check_weights(runner, step)
        if (self.file_client_args is not None
                or not isinstance(self.file_backend, LocalBackend)):
            super()._save_checkpoint_with_step(runner, step, meta)
            return

        keep = self.max_keep_ckpts
        old_ids = list(self.keep_ckpt_ids) if keep > 0 else []
        ids = old_ids + [step] if not old_ids or old_ids[-1] != step else old_ids
        outdated: Sequence[int] = ids[:-keep] if keep > 0 else []
        old_state = (self.last_ckpt, old_ids)
        ckpt_filename = self.filename_tmpl.format(step)
        ckpt_path = self.file_backend.join_path(self.out_dir, ckpt_filename)
        tmp_filename = f'{ckpt_filename}.tmp'
        tmp_path = self.file_backend.join_path(self.out_dir, tmp_filename)
        # the saved message hub says where it was saved, as mmengine's does
        self._set_state(runner, ckpt_path, ids)
        try:
            runner.save_checkpoint(
                self.out_dir, tmp_filename, save_optimizer=self.save_optimizer,
                save_param_scheduler=self.save_param_scheduler, meta=meta,
                by_epoch=self.by_epoch, backend_args=self.backend_args,
                **self.args)
            if is_main_process():  # Runner.save_checkpoint writes on rank 0 only
                _fsync(tmp_path)
                os.replace(tmp_path, ckpt_path)
                _fsync(self.out_dir)
                atomic_write_text(osp.join(runner.work_dir, 'last_checkpoint'),
                                  ckpt_path)
        except BaseException:
            if is_main_process() and osp.exists(tmp_path):
                os.remove(tmp_path)
            self._set_state(runner, *old_state)
            raise

        if not is_main_process():
            return
        for old_step in outdated:  # only now that the new one is safe
            path = self.file_backend.join_path(self.out_dir,
                                               self.filename_tmpl.format(old_step))
            if self.file_backend.isfile(path):
                self.file_backend.remove(path)
            elif self.file_backend.isdir(path):  # deepspeed saves folders
                self.file_backend.rmtree(path)

    def _set_state(self, runner, last_ckpt: Optional[str],
                   keep_ids: List[int]) -> None:
        """What mmengine's hook keeps (and saves in the message hub)."""
        self.last_ckpt = last_ckpt
        runner.message_hub.update_info('last_ckpt', last_ckpt)
        if self.max_keep_ckpts > 0:
            keep_ids = keep_ids[-self.max_keep_ckpts:]
            self.keep_ckpt_ids = deque(keep_ids, self.max_keep_ckpts)
            runner.message_hub.update_info('keep_ckpt_ids', list(keep_ids))
