"""Train a detector (mmdet 3.x style) with this package's modules registered.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
                                 [--cfg-options k=v ...] [--launcher pytorch]

Multi-process (GPUs, or CPU processes with gloo): ``bash tools/dist_train.sh CONFIG N``.

Before anything is built, the datasets the run reads and the backbone's ``Pretrained``
checkpoint are checked; a missing file ends the run with one ``error:`` line naming it
(exit code 1) instead of a traceback from deep inside the first iteration.
"""
import argparse
import copy
import datetime
import os
import os.path as osp
import sys

import torch
from mmengine.config import Config, ConfigDict, DictAction
from mmengine.device import (is_cuda_available, is_mlu_available, is_musa_available,
                             is_npu_available)
from mmengine.registry import MODEL_WRAPPERS, RUNNERS
from mmengine.runner import Runner
from torch.nn.parallel import DistributedDataParallel

# Registers our backbones / heads in mmdet's registry and installs the checkpoint
# loader that lets mmengine read its own checkpoints (--resume) under torch >= 2.6.
import shufflenet_backbones  # noqa: F401,E402

CONVERTER = 'tools/model_converters/torchvision2shufflenet.py'


class CLIError(Exception):
    """An expected problem with the user's input: printed as one line, exit code 1."""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a detector.')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--work-dir',
        help='where logs and checkpoints go (default: the config\'s work_dir, else '
        './work_dirs/<config name>)')
    parser.add_argument(
        '--resume',
        nargs='?',
        const='auto',
        metavar='CKPT',
        help='resume training (weights, optimizer, iteration count): from CKPT, or '
        'with no value from the last checkpoint in the work dir')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='automatic mixed precision (AmpOptimWrapper, dynamic loss scale); '
        'needs a GPU')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config entries, xxx=yyy, e.g. train_cfg.max_iters=100 or '
        'key="[a,b]" for lists (quote it, no spaces)')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher (pytorch: run under torchrun, see tools/dist_train.sh)')
    # torch.distributed.launch passes --local-rank (torch >= 2.0) or --local_rank.
    parser.add_argument(
        '--local_rank', '--local-rank', type=int, default=0,
        help='set by the launcher; do not pass it yourself')
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


# ----------------------------------------------------------------------------------
# Config set-up and input checks, also used by tools/test.py.


def set_work_dir(cfg: Config, work_dir, config_path: str) -> None:
    """CLI > ``work_dir`` in the config > ./work_dirs/<config name>."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config_path))[0])


def setup_cpu_distributed(cfg: Config, launcher: str) -> None:
    """Make ``--launcher pytorch`` work on machines without a GPU.

    mmengine's ``init_dist`` calls ``torch.cuda.set_device`` before it initialises
    the process group (which fails without a driver), and wraps the model in DDP
    with ``device_ids=[LOCAL_RANK]`` (which DDP refuses for a CPU model). So on CPU
    we start the gloo process group ourselves (the Runner then skips ``init_dist``)
    and ask for ``device_ids=None``.
    """
    if launcher == 'none' or torch.cuda.is_available():
        return
    if launcher != 'pytorch':
        raise CLIError(f'--launcher {launcher} needs GPUs; for multi-process CPU '
                       'runs use --launcher pytorch (tools/dist_train.sh, '
                       'tools/dist_test.sh)')
    dist_cfg = dict(cfg.get('env_cfg', {}).get('dist_cfg', {}))
    dist_cfg['backend'] = 'gloo'
    cfg.setdefault('env_cfg', ConfigDict())
    cfg.env_cfg.dist_cfg = dist_cfg
    wrapper = cfg.get('model_wrapper_cfg') or ConfigDict(
        type='MMDistributedDataParallel', broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper.setdefault('type', 'MMDistributedDataParallel')
    if issubclass(MODEL_WRAPPERS.get(wrapper.type) or object,
                  DistributedDataParallel):
        wrapper.setdefault('device_ids', None)
    cfg.model_wrapper_cfg = wrapper

    if not torch.distributed.is_initialized():
        timeout = dist_cfg.get('timeout')
        kwargs = {}
        if timeout is not None:  # seconds in mmengine's dist_cfg
            kwargs['timeout'] = datetime.timedelta(seconds=timeout)
        torch.distributed.init_process_group(backend='gloo', **kwargs)


def only_dataloaders(cfg: Config, keep) -> Config:
    """A copy of ``cfg`` without the ``*_dataloader`` entries this run never builds
    (a training run must not fail because the test split is missing)."""
    cfg = copy.deepcopy(cfg)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if key not in keep:
            cfg.pop(key, None)
    return cfg


def check_datasets(cfg: Config, keep) -> None:
    """Fail early, naming the path, when a dataset the run uses is missing."""
    # check_config_datasets comes from shufflenet_backbones/datasets/checks.py,
    # written alongside this tool. Where that module is absent (an older checkout)
    # the check is skipped and mmengine reports missing data when it loads it.
    try:
        from shufflenet_backbones.datasets import check_config_datasets
    except ImportError as err:
        if err.name != 'shufflenet_backbones.datasets':
            raise  # the module exists but is broken: show that, do not hide it
        return
    try:
        check_config_datasets(only_dataloaders(cfg, keep))
    except (FileNotFoundError, ValueError) as err:
        raise CLIError(str(err)) from err


def fail(prog: str, err: Exception) -> None:
    print(f'{prog}: error: {err}', file=sys.stderr)
    sys.exit(1)


# ----------------------------------------------------------------------------------


def _pretrained_paths(node, where):
    """Yield ``(where, checkpoint)`` for every ``Pretrained`` init_cfg under node."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == 'init_cfg':
                for init in value if isinstance(value, (list, tuple)) else [value]:
                    if isinstance(init, dict) and init.get('type') == 'Pretrained':
                        yield f'{where}.init_cfg', init.get('checkpoint')
            else:
                yield from _pretrained_paths(value, f'{where}.{key}')
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _pretrained_paths(value, f'{where}[{i}]')


def check_pretrained(cfg: Config) -> None:
    """Local ``Pretrained`` checkpoints in the model exist (URLs and
    ``open-mmlab://``-style names are left to mmengine, which downloads them)."""
    for where, path in _pretrained_paths(cfg.get('model'), 'model'):
        if not path or '://' in path or osp.isfile(osp.expanduser(path)):
            continue
        raise CLIError(
            f'{where}: pretrained checkpoint not found: {path} -- for ShuffleNetV2 '
            'convert torchvision\'s weights of the same widen_factor (`python '
            f'{CONVERTER} shufflenet_v2_xN.pth {path}`), for ShuffleNetV1 use '
            'mmpretrain\'s checkpoint, for ShuffleNetV2Star (no published weights) '
            'pretrain it with mmpretrain; or set init_cfg=None to train from scratch')


def enable_amp(cfg: Config) -> None:
    # mmengine's AmpOptimWrapper asserts a CUDA / NPU / MLU / MUSA device (even with
    # dtype='bfloat16'), so on a CPU-only machine it cannot be used at all.
    if not (is_cuda_available() or is_npu_available() or is_mlu_available()
            or is_musa_available()):
        raise CLIError('--amp needs a GPU (mmengine\'s AmpOptimWrapper supports '
                       'CUDA / NPU / MLU / MUSA only); run without --amp on CPU')
    if cfg.optim_wrapper.get('type', 'OptimWrapper') not in ('OptimWrapper',
                                                             'AmpOptimWrapper'):
        raise CLIError(f'--amp: cannot replace optim_wrapper type '
                       f'{cfg.optim_wrapper.type!r} by AmpOptimWrapper')
    cfg.optim_wrapper.type = 'AmpOptimWrapper'
    cfg.optim_wrapper.loss_scale = 'dynamic'


def build_cfg(args) -> Config:
    if not osp.isfile(args.config):
        raise CLIError(f'config file not found: {args.config}')
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    set_work_dir(cfg, args.work_dir, args.config)

    if args.amp:
        enable_amp(cfg)
    if args.resume == 'auto':
        # mmengine finds work_dir/last_checkpoint itself (and starts afresh if none)
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        if not osp.isfile(args.resume) and '://' not in args.resume:
            raise CLIError(f'--resume: checkpoint not found: {args.resume}')
        cfg.resume = True
        cfg.load_from = args.resume

    keep = ['train_dataloader']
    if cfg.get('val_cfg') is not None:
        keep.append('val_dataloader')
    check_datasets(cfg, keep)
    check_pretrained(cfg)
    setup_cpu_distributed(cfg, args.launcher)
    return cfg


def main(argv=None) -> None:
    args = parse_args(argv)
    try:
        cfg = build_cfg(args)
    except CLIError as err:
        fail('train.py', err)

    # Runner.from_cfg always builds a plain Runner; RUNNERS.build honours a
    # custom ``runner_type`` (e.g. FlexibleRunner) like mmdet's own tools/train.py.
    if 'runner_type' in cfg:
        runner = RUNNERS.build(cfg)
    else:
        runner = Runner.from_cfg(cfg)
    runner.train()


if __name__ == '__main__':
    main()
