"""What ``tools/train.py`` and ``tools/test.py`` share: their common arguments,
loading the config, input checks that fail early with one clear line, the CPU
multi-process set-up, and building the Runner."""
import argparse
import copy
import datetime
import os
import os.path as osp
import time

import torch
from mmengine.config import Config, ConfigDict, DictAction
from mmengine.registry import MODEL_WRAPPERS, RUNNERS
from mmengine.runner import Runner
from torch.nn.parallel import DistributedDataParallel

from ..data import check_config_datasets
from ..errors import CLIError


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


# What close_distributed waits, GIL released, for the gloo workers to free the last
# collectives' tensors: the barrier alone left 1 abort in 60 dist_test.sh runs.
WORKER_CLEANUP_S = 0.2


def close_distributed(succeeded: bool) -> None:
    """End the process group before the interpreter exits.

    A gloo worker thread frees the tensors of a finished collective a moment after
    the caller has its result; freeing one that Python has already dropped needs
    the GIL. If the interpreter is shutting down by then, the thread is ended
    inside a destructor and the process aborts (``terminate called without an
    active exception``, SIGABRT) after a successful run: about 1 run in 10 of
    tools/dist_train.sh with 2 CPU processes here (a core dump shows the worker
    in ``~AsyncWork`` waiting for the GIL). torch gives no call that waits for
    that clean-up, so after a successful run the main thread gives the workers
    time without the GIL: a barrier (every rank is done; all earlier collectives
    too), then a short sleep. After a failure, which may be this rank's alone
    (its own bad samples, an image too large for a fixed-size file), a barrier
    would wait for ranks still inside a collective: the group is only ended.
    mmengine's Runner never ends the group itself.
    """
    if not (torch.distributed.is_available() and torch.distributed.is_initialized()):
        return
    if succeeded:
        torch.distributed.barrier()
        time.sleep(WORKER_CLEANUP_S)
    torch.distributed.destroy_process_group()


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
    try:
        check_config_datasets(only_dataloaders(cfg, keep))
    except (FileNotFoundError, ValueError) as err:
        raise CLIError(str(err)) from err


def add_common_args(parser: argparse.ArgumentParser, dist_script: str) -> None:
    """``--work-dir``, ``--cfg-options``, ``--launcher`` and ``--local-rank``."""
    parser.add_argument(
        '--work-dir',
        help='where logs and checkpoints go (default: the config\'s work_dir, else '
        './work_dirs/<config name>)')
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
        help=f'job launcher (pytorch: run under torchrun, see {dist_script})')
    # torch.distributed.launch passes --local-rank (torch >= 2.0) or --local_rank.
    parser.add_argument(
        '--local_rank', '--local-rank', type=int, default=0,
        help='set by the launcher; do not pass it yourself')


def parse_common(parser: argparse.ArgumentParser, argv=None) -> argparse.Namespace:
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def load_config(args: argparse.Namespace) -> Config:
    """The config file with ``--cfg-options``, the launcher and the work dir."""
    if not osp.isfile(args.config):
        raise CLIError(f'config file not found: {args.config}')
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    set_work_dir(cfg, args.work_dir, args.config)
    return cfg


def build_runner(cfg: Config) -> Runner:
    # Runner.from_cfg always builds a plain Runner; RUNNERS.build honours a custom
    # ``runner_type`` (e.g. FlexibleRunner) like mmdet's own tools.
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)
