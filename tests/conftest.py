"""Fixtures every test folder shares: a fixed random state and mmdet's scope for
each test, trained-looking BN layers, digests of generated files, truncated files,
running the scripts of tools/ as a user does, the tiny detection configs
(built by tests/config_builders.py), and RPN-like proposals for the NMS tests."""
import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable, Dict, Optional, Sequence, Tuple

import config_builders
import pytest
import torch
import torch.nn as nn
from mmengine.registry import DefaultScope
from torch.nn.modules.batchnorm import _BatchNorm

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _seeded():
    """Every test starts from the same random state."""
    torch.manual_seed(0)


@pytest.fixture(autouse=True)
def _mmdet_scope():
    """Every test runs in mmdet's scope, that of this project's configs.

    A Runner built by an earlier test leaves mmengine's global ``DefaultScope`` at
    whatever its config said ('mmengine' by default), and registries resolve names
    through it; without this, a test's result would depend on the tests before it.
    Tests about other scopes set theirs explicitly.
    """
    with DefaultScope.overwrite_default_scope('mmdet'):
        yield


@pytest.fixture(scope='session')
def repo_root() -> Path:
    return REPO_ROOT


def _randomise_bn(model: nn.Module,
                  batch_shape: Optional[Sequence[int]] = None) -> nn.Module:
    """Give every BN layer random affine parameters and trained-looking running
    statistics, and return the model in eval mode.

    Fresh BN layers (mean 0, variance 1, identity affine) make folding a near no-op
    and leave V2's deepest maps near 1e-4, where tolerances prove nothing. The
    statistics are random (default) or, with ``batch_shape``, those of one batch of
    random images of that shape, which keeps every map of order 1 however deep.
    """
    norms = [m for m in model.modules() if isinstance(m, _BatchNorm)]
    for m in norms:
        nn.init.uniform_(m.weight, 0.5, 1.5)
        nn.init.uniform_(m.bias, -0.5, 0.5)
        if batch_shape is None:
            nn.init.uniform_(m.running_mean, -0.2, 0.2)
            nn.init.uniform_(m.running_var, 0.5, 2.0)
    if batch_shape is not None:
        momenta = {m: m.momentum for m in norms}
        for m in norms:
            m.momentum = 1.0  # running statistics := those of the next batch
        model.train()
        with torch.no_grad():
            model(torch.rand(*batch_shape))
        for m, momentum in momenta.items():
            m.momentum = momentum
    model.eval()
    return model


@pytest.fixture(scope='session')
def randomise_bn() -> Callable[..., nn.Module]:
    """``randomise_bn(model, batch_shape=None)``: see :func:`_randomise_bn`."""
    return _randomise_bn


def _file_digests(root) -> Dict[str, str]:
    """sha256 of every file under ``root``, by path relative to it."""
    root = Path(root)
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob('*')) if p.is_file()
    }


@pytest.fixture(scope='session')
def file_digests() -> Callable[..., Dict[str, str]]:
    """``file_digests(root)``: sha256 of every file under root (to compare two
    generated datasets)."""
    return _file_digests


def _truncate(path) -> str:
    """Cut the file at ``path`` to its first half (what an interrupted copy or
    download leaves) and return its path."""
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[:len(data) // 2])
    return str(path)


@pytest.fixture(scope='session')
def truncate() -> Callable[..., str]:
    """``truncate(path)``: see :func:`_truncate`."""
    return _truncate


def _tool_env() -> dict:
    """The environment a tool runs in: this checkout importable, one OpenMP
    thread per process (2 shared cores) and no launcher variables left over."""
    env = dict(os.environ)
    env['PYTHONPATH'] = str(REPO_ROOT) + os.pathsep + env.get('PYTHONPATH', '')
    env['OMP_NUM_THREADS'] = '1'
    env.pop('LOCAL_RANK', None)
    return env


def _run_tool(script, *args, cwd=None, timeout: int = 300,
              **env) -> subprocess.CompletedProcess:
    """Run a tools/ script with its arguments as a user would (``python`` for .py,
    ``bash`` for .sh; a relative path is from the repository root) and capture
    its output. ``env`` adds environment variables."""
    runner = ['bash'] if str(script).endswith('.sh') else [sys.executable]
    return subprocess.run([*runner, str(script), *map(str, args)],
                          cwd=cwd or REPO_ROOT, env=dict(_tool_env(), **env),
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope='session')
def tool_env() -> dict:
    """The environment tools run in (see :func:`_tool_env`)."""
    return _tool_env()


@pytest.fixture
def run_main(capsys) -> Callable[..., Tuple[int, str, str]]:
    """A command's ``main`` in-process, as a user's shell runs it:
    ``run_main(main, argv)`` returns (exit code, stdout, stderr)."""
    def run(main, argv):
        try:
            main([str(a) for a in argv])
            code = 0
        except SystemExit as exit_:
            code = exit_.code
        out, err = capsys.readouterr()
        return code, out, err
    return run


@pytest.fixture(scope='session')
def run_tool() -> Callable[..., subprocess.CompletedProcess]:
    """``run_tool(script, *args, cwd=None, **env)``: see :func:`_run_tool`."""
    return _run_tool


# how an RPN's proposals look to its NMS: 'spread' as a random-weight RPN's (few
# overlaps, most boxes kept), 'clustered' as a trained one's (many boxes around
# few objects, most suppressed); 'tied' scores take 21 values, as saturated ones
PROPOSAL_KINDS = ('spread', 'clustered', 'spread, tied', 'clustered, tied')


def _rpn_proposals(count: int, kind: str,
                   size: float = 800.) -> Tuple[torch.Tensor, torch.Tensor]:
    if kind.startswith('clustered'):
        objects = torch.rand(30, 2) * size
        centres = objects[torch.randint(0, 30, (count, ))] + torch.randn(count, 2) * 8
    else:
        centres = torch.rand(count, 2) * size
    half = (torch.rand(count, 2) * 100 + 10) / 2
    scores = torch.rand(count)
    if kind.endswith('tied'):
        scores = (scores * 20).round() / 20
    return torch.cat([centres - half, centres + half], dim=1), scores


@pytest.fixture(params=PROPOSAL_KINDS)
def proposal_kind(request) -> str:
    """Each of :data:`PROPOSAL_KINDS` in turn."""
    return request.param


@pytest.fixture(scope='session')
def rpn_proposals() -> Callable[..., Tuple[torch.Tensor, torch.Tensor]]:
    """``rpn_proposals(count, kind, size=800.)``: ``(boxes, scores)``, float32
    boxes x1 y1 x2 y2 inside about ``size`` px, ``kind`` one of
    :data:`PROPOSAL_KINDS`."""
    return _rpn_proposals


@pytest.fixture(scope='session')
def tiny_det_config() -> Callable[[str], dict]:
    """``tiny_det_config(data_root)``: see :func:`config_builders.tiny_det_config`."""
    return config_builders.tiny_det_config


@pytest.fixture(scope='session')
def safe_loading_det_config() -> Callable[..., dict]:
    """``safe_loading_det_config(data_root, max_bad_share=0.05)``: see
    :func:`config_builders.safe_loading_det_config`."""
    return config_builders.safe_loading_det_config
