"""mmengine checkpoints load with torch's ``weights_only`` unpickler; unsafe ones don't.

A real mmengine Runner trains a toy model for 2 iterations on CPU (with a validation
metric returning numpy scalars, ``save_best`` and numpy values in the dataset meta), so
the checkpoint holds what mmengine really writes: ``HistoryBuffer`` objects in the
message hub, numpy arrays and scalars, optimizer and scheduler state.
"""
import os
import pickle
import re
import shlex
import shutil
import uuid

import numpy as np
import pytest
import torch
from mmengine.config import ConfigDict
from mmengine.evaluator import BaseMetric
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer
from mmengine.model import BaseModel
from mmengine.runner import Runner, load_checkpoint
from mmengine.runner.checkpoint import CheckpointLoader, _load_checkpoint
from torch.utils.data import Dataset

from shufflenet_backbones.checkpoint.safe_unpickling import (
    UnsafeCheckpointError, _safe_globals, allow_mmengine_checkpoints,
    load_from_local)


def test_enabled_on_the_pinned_torch():
    """The pinned torch (requirements/torch.txt) loads with ``weights_only=True`` by
    default, so the loader must be active -- every test below relies on it."""
    assert torch.__version__ >= (2, 6)
    assert allow_mmengine_checkpoints() is True
    assert CheckpointLoader._schemes[''] is load_from_local


# --------------------------------------------------------------------- toy pieces
class ToyDataset(Dataset):
    # Dataset meta ends up in checkpoint['meta']['dataset_meta']: put numpy in it.
    metainfo = dict(classes=('a', 'b'), scale=np.float32(2.0),
                    mean=np.array([0.5, 0.25]))

    def __len__(self):
        return 4

    def __getitem__(self, idx):
        return dict(inputs=torch.full((2, ), float(idx)), labels=torch.tensor(idx % 2))


class ToyModel(BaseModel):

    def __init__(self, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.linear = torch.nn.Linear(2, 2)

    def forward(self, inputs, labels, mode='tensor'):
        if isinstance(inputs, list):
            inputs = torch.stack(inputs)
        logits = self.linear(inputs)
        if mode == 'loss':
            labels = torch.stack(labels) if isinstance(labels, list) else labels
            return dict(loss=torch.nn.functional.cross_entropy(logits, labels))
        return [(pred, label) for pred, label in zip(logits.argmax(1), labels)]


class ToyMetric(BaseMetric):
    """Returns numpy scalars, like many real metrics: they reach the message hub
    (``val/acc``) and ``save_best`` stores ``best_score``."""

    def process(self, data_batch, data_samples):
        self.results.extend(int(pred == label) for pred, label in data_samples)

    def compute_metrics(self, results):
        return dict(acc=np.float64(np.mean(results)))


class NumpyInfoHook(Hook):
    """Puts a numpy array into the message hub's runtime info (resumed with it)."""

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        runner.message_hub.update_info('toy_counts', np.arange(3, dtype=np.int64))


def _runner(work_dir, max_iters, **kwargs):
    loader = dict(dataset=ToyDataset(), batch_size=2, num_workers=0,
                  sampler=dict(type='DefaultSampler', shuffle=False))
    return Runner(
        model=ToyModel(),
        work_dir=str(work_dir),
        experiment_name=f'toy_{uuid.uuid4().hex}',  # fresh logger / message hub
        train_dataloader=loader,
        val_dataloader=loader,
        val_evaluator=[ToyMetric()],
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9)),
        param_scheduler=dict(type='MultiStepLR', milestones=[1], by_epoch=False),
        train_cfg=dict(by_epoch=False, max_iters=max_iters, val_interval=2),
        val_cfg=dict(),
        default_hooks=dict(
            logger=dict(type='LoggerHook', interval=1),
            checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False,
                            save_best='acc', rule='greater')),
        custom_hooks=[NumpyInfoHook()],
        randomness=dict(seed=0),
        **kwargs)


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """A work dir with a real 2-iteration mmengine checkpoint in it."""
    work_dir = tmp_path_factory.mktemp('runner')
    runner = _runner(work_dir, max_iters=2)
    runner.train()
    ckpt = work_dir / 'iter_2.pth'
    assert ckpt.is_file()
    return work_dir, str(ckpt), runner.model.state_dict()


# --------------------------------------------------------------------- tests
def test_checkpoint_really_needs_the_allow_list(trained):
    """The file holds more than torch allows by default (else the tests prove
    nothing), and nothing beyond our allow-list."""
    _, ckpt, _ = trained
    saved = torch.serialization.get_safe_globals()
    torch.serialization.clear_safe_globals()  # see what torch alone would refuse
    try:
        unsafe = set(torch.serialization.get_unsafe_globals_in_checkpoint(ckpt))
    finally:
        torch.serialization.add_safe_globals(saved)
    assert 'mmengine.logging.history_buffer.HistoryBuffer' in unsafe
    assert any(name.endswith('multiarray._reconstruct') for name in unsafe)
    assert any(name.endswith('multiarray.scalar') for name in unsafe)
    assert 'builtins.getattr' in unsafe  # HistoryBuffer's statistics methods
    allowed = set()
    for entry in _safe_globals():
        _, name = entry if isinstance(entry, tuple) else (
            entry, f'{entry.__module__}.{entry.__qualname__}')
        allowed.add(name)
    assert unsafe <= allowed


def test_allow_is_idempotent_and_installs_loader():
    before = list(torch.serialization.get_safe_globals())
    assert allow_mmengine_checkpoints()
    assert allow_mmengine_checkpoints()
    after = list(torch.serialization.get_safe_globals())
    assert len(after) == len(before)
    assert CheckpointLoader._get_checkpoint_loader('work_dirs/x.pth') is load_from_local
    # Remote schemes keep mmengine's loaders.
    remote = CheckpointLoader._get_checkpoint_loader('https://x/y.pth')
    assert remote is not load_from_local


def test_resume_from_runner_checkpoint(trained, tmp_path):
    _, ckpt, _ = trained
    loaded = _load_checkpoint(ckpt, map_location='cpu')
    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert isinstance(buffer._log_history, np.ndarray)
    assert isinstance(loaded['message_hub']['runtime_info']['best_score'], np.float64)
    np.testing.assert_array_equal(loaded['meta']['dataset_meta']['mean'], [0.5, 0.25])

    runner = _runner(tmp_path, max_iters=3, load_from=ckpt, resume=True)
    runner.train()
    assert runner.iter == 3
    hub = runner.message_hub
    assert len(hub.get_scalar('train/loss').data[0]) == 3  # 2 resumed + 1 new
    np.testing.assert_array_equal(hub.get_info('toy_counts'), np.arange(3))
    # The optimizer state (momentum buffers) was restored, not re-initialised.
    assert runner.optim_wrapper.optimizer.state


def test_resume_finds_last_checkpoint(trained, tmp_path):
    work_dir = tmp_path / 'copy'
    shutil.copytree(trained[0], work_dir)
    runner = _runner(work_dir, max_iters=3, resume=True)  # no load_from: finds iter_2
    runner.train()
    assert runner.iter == 3


def test_load_checkpoint_and_pretrained_init(trained):
    _, ckpt, state_dict = trained
    model = ToyModel()
    load_checkpoint(model, ckpt, map_location='cpu')
    for key, value in state_dict.items():
        torch.testing.assert_close(model.state_dict()[key], value)

    model = ToyModel(init_cfg=dict(type='Pretrained', checkpoint=ckpt))
    model.init_weights()
    for key, value in state_dict.items():
        torch.testing.assert_close(model.state_dict()[key], value)


class _Evil:
    """Unpickling this runs ``func(*args)``: the classic pickle exploit."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def _evil_payloads(marker):
    return {
        f'{os.system.__module__}.system':
        _Evil(os.system, f'touch {shlex.quote(marker)}'),
        'exec': _Evil(exec, f'open({marker!r}, "w").close()'),
    }


@pytest.mark.parametrize('culprit', [f'{os.system.__module__}.system', 'exec'])
def test_malicious_checkpoint_is_refused(tmp_path, culprit):
    marker = str(tmp_path / 'pwned')
    payload = _evil_payloads(marker)[culprit]
    ckpt = str(tmp_path / 'evil.pth')
    torch.save(dict(state_dict=ToyModel().state_dict(), meta=dict(x=payload)), ckpt)

    attempts = [
        lambda: load_checkpoint(ToyModel(), ckpt),
        lambda: _runner(tmp_path / 'work', 2, load_from=ckpt,
                        resume=True).load_or_resume(),
        lambda: ToyModel(
            init_cfg=dict(type='Pretrained', checkpoint=ckpt)).init_weights(),
    ]
    for attempt in attempts:
        with pytest.raises(UnsafeCheckpointError) as info:
            attempt()
        assert ckpt in str(info.value)
        assert f'`{culprit}`' in str(info.value)
        assert isinstance(info.value, pickle.UnpicklingError)
        assert not os.path.exists(marker)

    # The payload is real: a full (unsafe) unpickle would have run it.
    torch.load(ckpt, weights_only=False)
    assert os.path.exists(marker)


def test_getattr_is_restricted_to_history_buffer_statistics(tmp_path):
    """``builtins.getattr`` is allowed only in the form HistoryBuffer pickles."""
    ckpt = str(tmp_path / 'getattr.pth')
    torch.save(dict(meta=_Evil(getattr, HistoryBuffer, '__init__')), ckpt)
    with pytest.raises(UnsafeCheckpointError) as info:
        load_checkpoint(ToyModel(), ckpt)
    assert ckpt in str(info.value)
    assert '`builtins.getattr`' in str(info.value)
    assert "'__init__'" in str(info.value)


class PlainRecord:
    """A harmless data class that is on nobody's allow-list."""

    def __init__(self, value):
        self.value = value


@pytest.mark.parametrize('record', [
    PlainRecord(1),
    ConfigDict(value=1),  # mmengine's own, but never written into checkpoints
], ids=['plain_class', 'ConfigDict'])
def test_weights_only_default_still_applies_to_other_globals(tmp_path, record):
    ckpt = str(tmp_path / 'other.pth')
    torch.save(dict(meta=record), ckpt)
    name = f'{type(record).__module__}.{type(record).__qualname__}'
    with pytest.raises(pickle.UnpicklingError, match=re.escape(name)):
        torch.load(ckpt)  # torch's own default
    with pytest.raises(UnsafeCheckpointError, match=re.escape(name)):
        load_from_local(ckpt)
    # A trusted file can still be loaded by allowing just that type, for one load.
    with torch.serialization.safe_globals([type(record)]):
        assert load_from_local(ckpt)['meta'].value == 1
    with pytest.raises(UnsafeCheckpointError):
        load_from_local(ckpt)
