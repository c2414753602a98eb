"""tools/train.py on a tiny RetinaNet (tests/test_cli's config, about 10 s a run):

- a diverging run, whose ``loss_cls`` an injected hook makes NaN at iteration 3,
  stops there with one ``error:`` line naming the iteration and the term;
  ``last_checkpoint`` points at the last good checkpoint and ``--resume``
  continues from it;
- a run killed right after its iteration-4 checkpoint and resumed ends with the
  weights of an uninterrupted run (same iterations, learning rate, data order).
"""
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from shufflenet_backbones.toolkit.data import generate_shapes_coco

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TRAIN = osp.join(ROOT, 'tools', 'train.py')

INJECTOR = '''
import os

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


@HOOKS.register_module()
class InjectNaNHook(Hook):
    """Multiply the output of one submodule by NaN during iteration ``at``."""

    priority = 'VERY_HIGH'

    def __init__(self, at, module):
        self.at, self.module, self.handle = at, module, None

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter + 1 == self.at:
            model = runner.model.module if is_model_wrapper(
                runner.model) else runner.model
            self.handle = model.get_submodule(self.module).register_forward_hook(
                lambda module, args, out: out * float('nan'))

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if self.handle is not None:
            self.handle.remove()
            self.handle = None


@HOOKS.register_module()
class KillHook(Hook):
    """Die like ``kill -9`` (no clean-up) right after iteration ``at``, i.e.
    after its checkpoint."""

    priority = 'LOWEST'

    def __init__(self, at):
        self.at = at

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.iter + 1 == self.at:
            os._exit(137)
'''


@pytest.fixture(scope='module')
def diverging(tiny_det_config, tmp_path_factory):
    tmp = tmp_path_factory.mktemp('diverging')
    data_root = str(tmp / 'data')
    generate_shapes_coco(data_root, num_train=4, num_val=1, image_size=64)
    (tmp / 'plugins').mkdir()  # on PYTHONPATH: nothing else in it
    (tmp / 'plugins' / 'nan_injector.py').write_text(INJECTOR)
    cfg = tiny_det_config(data_root)
    cfg.update(
        custom_imports=dict(imports=['shufflenet_backbones', 'nan_injector'],
                            allow_failed_imports=False),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=4, val_interval=100),
        custom_hooks=[
            dict(type='StopOnNonFiniteLossHook'),
            dict(type='InjectNaNHook', at=3, module='bbox_head.loss_cls')
        ])
    cfg['default_hooks']['checkpoint'] = dict(type='SafeCheckpointHook',
                                              interval=2, by_epoch=False)
    Config(cfg).dump(str(tmp / 'diverging.py'))
    cfg['custom_hooks'] = cfg['custom_hooks'][:1]  # the same run, nothing injected
    Config(cfg).dump(str(tmp / 'healthy.py'))
    cfg['train_cfg']['max_iters'] = 6
    Config(cfg).dump(str(tmp / 'run6.py'))
    cfg['custom_hooks'] = cfg['custom_hooks'] + [dict(type='KillHook', at=4)]
    Config(cfg).dump(str(tmp / 'run6_killed.py'))
    return tmp


def test_nan_loss_ends_the_run_with_one_line(run_tool, diverging):
    work_dir = str(diverging / 'work')
    env = dict(PYTHONPATH=f'{diverging / "plugins"}{os.pathsep}{ROOT}')
    result = run_tool(TRAIN, diverging / 'diverging.py', '--work-dir', work_dir,
                      **env)
    assert result.returncode == 1, result.stderr[-3000:]
    last_line = result.stderr.strip().splitlines()[-1]
    last = osp.join(work_dir, 'iter_2.pth')
    assert last_line == (
        'train.py: error: iteration 3: non-finite loss: loss_cls=nan (learning '
        'rate 0.01) -- the run stopped; '
        f'{osp.join(work_dir, "last_checkpoint")} points at {last}, the last '
        'checkpoint (finite weights): lower the learning rate or clip gradients '
        '(optim_wrapper.clip_grad) and --resume from it')
    assert 'Traceback' not in result.stderr
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        assert f.read() == last
    assert not osp.exists(osp.join(work_dir, 'iter_3.pth'))
    assert not osp.exists(osp.join(work_dir, 'iter_4.pth'))

    # --resume continues from iteration 2 to the end, with finite weights
    result = run_tool(TRAIN, diverging / 'healthy.py', '--work-dir', work_dir,
                      '--resume', **env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'resumed epoch: 0, iter: 2' in result.stdout + result.stderr
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        assert f.read() == osp.join(work_dir, 'iter_4.pth')
    ckpt = torch.load(osp.join(work_dir, 'iter_4.pth'), map_location='cpu',
                      weights_only=False)
    assert ckpt['meta']['iter'] == 4
    assert all(torch.isfinite(v).all() for v in ckpt['state_dict'].values()
               if v.is_floating_point())


def test_killed_and_resumed_run_ends_like_an_uninterrupted_one(run_tool, diverging):
    env = dict(PYTHONPATH=f'{diverging / "plugins"}{os.pathsep}{ROOT}')
    straight, killed = str(diverging / 'straight'), str(diverging / 'killed')
    result = run_tool(TRAIN, diverging / 'run6.py', '--work-dir', straight, **env)
    assert result.returncode == 0, result.stderr[-3000:]
    result = run_tool(TRAIN, diverging / 'run6_killed.py', '--work-dir', killed,
                      **env)
    assert result.returncode == 137, result.stderr[-3000:]
    with open(osp.join(killed, 'last_checkpoint')) as f:
        assert f.read() == osp.join(killed, 'iter_4.pth')
    result = run_tool(TRAIN, diverging / 'run6.py', '--work-dir', killed,
                      '--resume', **env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'resumed epoch: 0, iter: 4' in result.stdout + result.stderr

    def final(work_dir):
        return torch.load(osp.join(work_dir, 'iter_6.pth'), map_location='cpu',
                          weights_only=False)

    a, b = final(straight), final(killed)
    assert a['meta']['iter'] == b['meta']['iter'] == 6
    assert (a['optimizer']['param_groups'][0]['lr'] ==
            b['optimizer']['param_groups'][0]['lr'])
    assert a['state_dict'].keys() == b['state_dict'].keys()
    for key, value in a['state_dict'].items():
        torch.testing.assert_close(b['state_dict'][key], value, rtol=0, atol=1e-6,
                                   msg=key)
