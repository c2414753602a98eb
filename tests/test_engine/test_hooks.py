"""StopOnNonFiniteLossHook and SafeCheckpointHook in a real mmengine Runner, on a toy
regression model (a few iterations, well under a second each): a NaN loss stops
the run naming the iteration and the term, non-finite weights are never saved,
failed saves (full disk, interruption) leave the previous checkpoint and
``last_checkpoint`` intact, and a resumed run ends where an uninterrupted one does.
"""
import errno
import os
import os.path as osp
import uuid
from typing import Optional

import pytest
import torch
import torch.nn as nn
from mmengine.fileio.backends import LocalBackend
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

from shufflenet_backbones.engine import (SafeCheckpointHook,
                                         StopOnNonFiniteLossHook,
                                         TrainingDivergedError)


class ToyData(Dataset):
    """16 points of y = 2 x0 - x1 + 0.5; the order they come in shows in the weights."""

    def __init__(self):
        g = torch.Generator().manual_seed(1)
        self.x = torch.rand(16, 2, generator=g)
        self.y = self.x @ torch.tensor([[2.], [-1.]]) + 0.5

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return dict(inputs=self.x[i], data_samples=self.y[i])


class ToyModel(BaseModel):
    """Two loss terms; ``loss_b`` is NaN at iteration ``nan_at`` (from 1)."""

    def __init__(self, nan_at: Optional[int] = None):
        super().__init__()
        with torch.random.fork_rng():  # the same start in every run
            torch.manual_seed(0)
            self.linear = nn.Linear(2, 1)
        self.nan_at = nan_at
        self.calls = 0

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.linear(inputs)
        if mode != 'loss':
            return out
        self.calls += 1
        loss_b = 0.01 * out.abs().mean()
        if self.calls == self.nan_at:
            loss_b = loss_b * float('nan')
        return dict(loss_a=((out - data_samples)**2).mean(), loss_b=loss_b)


def make_runner(work_dir, max_iters=6, model=None, checkpoint=None, hooks=True,
                loss_hook=True, **kwargs) -> Runner:
    checkpoint = dict(
        type='SafeCheckpointHook' if hooks else 'CheckpointHook', interval=2,
        by_epoch=False, **(checkpoint or {}))
    return Runner(
        model=model or ToyModel(),
        work_dir=str(work_dir),
        experiment_name=f'toy_{uuid.uuid4().hex}',
        train_dataloader=dict(
            dataset=ToyData(), batch_size=4, num_workers=0,
            sampler=dict(type='InfiniteSampler', shuffle=True),
            collate_fn=dict(type='default_collate')),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=max_iters),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9)),
        param_scheduler=dict(type='MultiStepLR', milestones=[5], gamma=0.5,
                             by_epoch=False),
        default_hooks=dict(checkpoint=checkpoint,
                           logger=dict(type='LoggerHook', interval=1)),
        custom_hooks=([dict(type='StopOnNonFiniteLossHook')]
                      if hooks and loss_hook else None),
        default_scope='mmengine',
        randomness=dict(seed=0),
        log_level='WARNING',
        **kwargs)


def last_checkpoint(work_dir) -> str:
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read()


def read_bytes(path) -> bytes:
    with open(path, 'rb') as f:
        return f.read()


# ---------------------------------------------------------------------------------
# non-finite loss and weights


def test_nan_loss_stops_the_run_naming_iteration_and_term(tmp_path):
    runner = make_runner(tmp_path, model=ToyModel(nan_at=3))
    with pytest.raises(TrainingDivergedError) as info:
        runner.train()
    message = str(info.value)
    assert message.startswith('iteration 3: non-finite loss: loss_b=nan '
                              '(learning rate 0.1) -- the run stopped; ')
    assert 'loss_a' not in message  # finite terms are not named
    assert f'points at {tmp_path / "iter_2.pth"}' in message
    # the bad iteration was not saved; the weights of iteration 2 were
    assert last_checkpoint(tmp_path) == str(tmp_path / 'iter_2.pth')
    assert [f for f in os.listdir(tmp_path) if f.endswith('.pth')] == ['iter_2.pth']


def test_nan_before_any_checkpoint_says_so(tmp_path):
    runner = make_runner(tmp_path, model=ToyModel(nan_at=1))
    with pytest.raises(TrainingDivergedError,
                       match=r'^iteration 1: non-finite loss: loss_b=nan .*'
                       'no checkpoint was written yet'):
        runner.train()


def test_interval_checks_every_nth_iteration(tmp_path):
    runner = make_runner(tmp_path, model=ToyModel(nan_at=3), loss_hook=False)
    runner.register_hook(StopOnNonFiniteLossHook(interval=2))
    # iteration 3 is not checked; its NaN weights make iteration 4's loss NaN,
    # and SafeCheckpointHook would refuse them anyway
    with pytest.raises(TrainingDivergedError,
                       match=r'^iteration 4: non-finite loss: loss_a=nan, loss_b=nan '):
        runner.train()
    with pytest.raises(ValueError, match='interval'):
        StopOnNonFiniteLossHook(interval=0)


def test_non_finite_weights_are_never_saved(tmp_path):
    """With the loss check off, weights that went NaN reach the checkpoint hook:
    it refuses, naming the iteration and the tensor, and writes nothing."""
    model = ToyModel()
    model.register_buffer('scale', torch.ones(1))
    runner = make_runner(tmp_path, model=model, loss_hook=False)

    class Poison(StopOnNonFiniteLossHook):  # a hook that runs before saving
        def after_train_iter(self, runner, batch_idx, data_batch=None,
                             outputs=None):
            if runner.iter + 1 == 4:
                model.scale.fill_(float('inf'))

    runner.register_hook(Poison())
    with pytest.raises(TrainingDivergedError) as info:
        runner.train()
    assert str(info.value).startswith(
        'iteration 4: checkpoint not written: non-finite weights (first: scale) '
        '-- the run stopped; ')
    assert last_checkpoint(tmp_path) == str(tmp_path / 'iter_2.pth')
    assert not osp.exists(tmp_path / 'iter_4.pth')


# ---------------------------------------------------------------------------------
# atomic saves


def _failing_put(exc, fail_name='iter_4.pth'):
    """LocalBackend.put that writes half the bytes of ``fail_name`` and raises."""
    real_put = LocalBackend.put

    def put(self, obj, filepath):
        if fail_name in osp.basename(str(filepath)):
            with open(filepath, 'wb') as f:
                f.write(obj[:len(obj) // 2])
            raise exc
        return real_put(self, obj, filepath)

    return put


@pytest.mark.parametrize('exc', [
    OSError(errno.ENOSPC, 'No space left on device'),
    KeyboardInterrupt(),  # interrupted mid-write
], ids=['disk-full', 'interrupted'])
def test_failed_checkpoint_write_keeps_the_previous_one(tmp_path, monkeypatch,
                                                        exc):
    runner = make_runner(tmp_path, checkpoint=dict(max_keep_ckpts=1))
    monkeypatch.setattr(LocalBackend, 'put', _failing_put(exc))
    good = None

    class Snapshot(StopOnNonFiniteLossHook):
        def after_train_iter(self, runner, batch_idx, data_batch=None,
                             outputs=None):
            nonlocal good
            if runner.iter + 1 == 3:  # iter_2.pth as it was written
                good = read_bytes(tmp_path / 'iter_2.pth')

    runner.register_hook(Snapshot())
    with pytest.raises(type(exc)):
        runner.train()
    # the old checkpoint is there (max_keep_ckpts=1 did not remove it first), whole,
    # and last_checkpoint still points at it; no partial file is left anywhere
    assert sorted(f for f in os.listdir(tmp_path)
                  if '.pth' in f or f.startswith('last_checkpoint')) == [
                      'iter_2.pth', 'last_checkpoint']
    assert read_bytes(tmp_path / 'iter_2.pth') == good
    assert last_checkpoint(tmp_path) == str(tmp_path / 'iter_2.pth')
    ckpt = torch.load(tmp_path / 'iter_2.pth', weights_only=False)
    assert ckpt['meta']['iter'] == 2


def test_failed_last_checkpoint_write_keeps_the_old_pointer(tmp_path, monkeypatch):
    runner = make_runner(tmp_path)
    real_fsync = os.fsync

    def fsync(fd):  # full disk while last_checkpoint is written at iteration 4
        path = os.readlink(f'/proc/self/fd/{fd}')
        if path.endswith('last_checkpoint.tmp') and runner.iter + 1 == 4:
            raise OSError(errno.ENOSPC, 'No space left on device')
        return real_fsync(fd)

    monkeypatch.setattr(os, 'fsync', fsync)
    with pytest.raises(OSError, match='No space left'):
        runner.train()
    assert last_checkpoint(tmp_path) == str(tmp_path / 'iter_2.pth')
    assert not [f for f in os.listdir(tmp_path) if f.endswith('.tmp')]
    # what last_checkpoint points at loads
    assert torch.load(tmp_path / 'iter_2.pth', weights_only=False)['meta'][
        'iter'] == 2


def test_max_keep_ckpts_still_removes_old_checkpoints(tmp_path):
    make_runner(tmp_path, checkpoint=dict(max_keep_ckpts=2)).train()
    assert sorted(f for f in os.listdir(tmp_path) if f.endswith('.pth')) == [
        'iter_4.pth', 'iter_6.pth']
    assert last_checkpoint(tmp_path) == str(tmp_path / 'iter_6.pth')


# ---------------------------------------------------------------------------------
# resume


def final_state(runner) -> dict:
    return {k: v.clone() for k, v in runner.model.state_dict().items()}


class Kill(Hook):
    """Interrupt the run right after iteration ``at`` (and its checkpoint)."""

    priority = 'LOWEST'  # after CheckpointHook

    def __init__(self, at: int):
        self.at = at

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.iter + 1 == self.at:
            raise KeyboardInterrupt


def test_resumed_run_ends_where_an_uninterrupted_one_does(tmp_path):
    """6 iterations straight vs killed after 4, then resumed (checkpoint every 2):
    same iteration count, learning rate (a milestone at 5) and data order (shuffled
    InfiniteSampler), so the same weights.

    The kill is a hook, not ``max_iters=4``: a scheduler without ``end`` gets
    ``end=max_iters`` and resuming restores it, so a run stopped by a smaller
    ``max_iters`` never passes that ``end`` (mmengine's behaviour, on purpose or
    not) and would not be an interruption of the same run.
    """
    straight = make_runner(tmp_path / 'straight', max_iters=6)
    straight.train()
    first = make_runner(tmp_path / 'resumed', max_iters=6)
    first.register_hook(Kill(at=4))
    with pytest.raises(KeyboardInterrupt):
        first.train()
    assert last_checkpoint(tmp_path / 'resumed') == str(tmp_path / 'resumed' /
                                                        'iter_4.pth')
    resumed = make_runner(tmp_path / 'resumed', max_iters=6, resume=True)
    resumed.train()  # from last_checkpoint, i.e. iter_4.pth
    assert resumed.iter == 6
    assert resumed.optim_wrapper.get_lr()['lr'] == straight.optim_wrapper.get_lr()[
        'lr'] == [0.05]
    a, b = final_state(straight), final_state(resumed)
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=1e-6)
    # and the interruption changed something: 4 iterations are not 6
    assert not torch.allclose(final_state(first)['linear.weight'],
                              a['linear.weight'])


def test_hooks_are_registered():
    from mmengine.registry import HOOKS
    assert HOOKS.get('SafeCheckpointHook') is SafeCheckpointHook
    assert HOOKS.get('StopOnNonFiniteLossHook') is StopOnNonFiniteLossHook
