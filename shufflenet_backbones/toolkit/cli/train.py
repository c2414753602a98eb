"""Train a model from a config with this package's modules registered: detection
(mmdet), segmentation (mmseg) and classification (mmpretrain) configs alike, the
library chosen by the config's ``default_scope``; mmdet 3.x's command line.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
                                 [--data DIR [--auto-anchors]]
                                 [--cfg-options k=v ...] [--launcher pytorch]

Multi-process (GPUs, or CPU processes with gloo): ``bash tools/dist_train.sh CONFIG N``.

Before anything is built, the datasets the run reads and the backbone's ``Pretrained``
checkpoint are checked; a missing file ends the run with one ``error:`` line naming it
(exit code 1) instead of a traceback from deep inside the first iteration.

``--data DIR`` trains on a COCO folder of your own
(:mod:`shufflenet_backbones.toolkit.data.custom_data`): classes, ``num_classes``,
datasets and evaluators are set from it, the dataset doctor and the anchor check
(:mod:`shufflenet_backbones.toolkit.data.anchor_check`) run first, and the
resolved config the run writes into the work dir is printed: ``tools/test.py``,
``tools/infer.py`` and ``tools/deploy/export.py`` take that one file.
"""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import Config
from mmengine.device import (is_cuda_available, is_mlu_available,
                             is_musa_available, is_npu_available)

from ...engine import TooManyBadSamplesError, TrainingDivergedError
from ..data.anchor_check import (anchor_generator_of, apply_fit, check_anchors,
                                 check_warning, describe_check, describe_fit,
                                 fit_anchors)
from ..data.custom_data import (DatasetProblems, apply_custom_data,
                                describe_custom_data, run_doctor)
from ..errors import CLIError, fail
from ..weights.zoo import get_weights_command
from .common import (add_common_args, build_runner, check_datasets,
                     close_distributed, load_config, parse_common,
                     setup_cpu_distributed)

CONVERTER = 'tools/model_converters/torchvision2shufflenet.py'


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Train a detector, segmenter or classifier.')
    parser.add_argument('config', help='train config file path')
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
    # --data is an option of this command, not a tools/train_custom.py: training
    # on your own data is the same run (--work-dir, --resume, --amp,
    # --cfg-options, the launcher) on a config the folder completes, so users keep
    # the one command they know and no second script repeats its options.
    parser.add_argument(
        '--data',
        metavar='DIR',
        help='train on your own COCO folder: DIR/annotations/instances_{train,val}'
        '.json, images in DIR/train/ and DIR/val/; sets the classes, num_classes, '
        'datasets and evaluators, runs the dataset doctor and the anchor check '
        'first, and prints the resolved config written to the work dir')
    parser.add_argument(
        '--auto-anchors',
        action='store_true',
        help='with --data: fit the anchor generator\'s scales and ratios to the '
        'boxes (k-means; as many anchors per location as before) and train with '
        'them when they match more boxes')
    add_common_args(parser, dist_script='tools/dist_train.sh')
    args = parse_common(parser, argv)
    if args.auto_anchors and not args.data:
        parser.error('--auto-anchors needs --data DIR (the boxes it fits)')
    return args


def _pretrained_paths(node, where):
    """Yield ``(where, checkpoint)`` for every ``Pretrained`` init_cfg under node,
    and every ``PretrainedV2`` one (a V2* started from a V2 checkpoint)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == 'init_cfg':
                for init in value if isinstance(value, (list, tuple)) else [value]:
                    if isinstance(init, dict) and init.get('type') in (
                            'Pretrained', 'PretrainedV2'):
                        yield f'{where}.init_cfg', init.get('checkpoint')
            else:
                yield from _pretrained_paths(value, f'{where}.{key}')
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _pretrained_paths(value, f'{where}[{i}]')


def check_pretrained(cfg: Config) -> None:
    """Local ``Pretrained`` checkpoints in the model exist (URLs and
    ``open-mmlab://``-style names are left to mmengine, which downloads them).
    A missing file that ``tools/get_weights.py`` writes (looked up by its file
    name) is reported with the command that writes it."""
    for where, path in _pretrained_paths(cfg.get('model'), 'model'):
        if not path or '://' in path or osp.isfile(osp.expanduser(path)):
            continue
        command = get_weights_command(path)
        if command is not None:
            raise CLIError(
                f'{where}: pretrained checkpoint not found: {path} -- `{command}` '
                'downloads and converts it; or set init_cfg=None to train from '
                'scratch')
        raise CLIError(
            f'{where}: pretrained checkpoint not found: {path} -- for ShuffleNetV2 '
            'convert torchvision\'s weights of the same widen_factor (`python '
            f'{CONVERTER} shufflenet_v2_xN.pth {path}`), for ShuffleNetV1 use '
            'mmpretrain\'s checkpoint, for ShuffleNetV2Star (no published weights) '
            'start from V2\'s with init_cfg type \'PretrainedV2\'; or set '
            'init_cfg=None to train from scratch')


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


def _doctor_workers() -> int:
    # the doctor decodes every image once (then caches); a few processes at most,
    # the data loader workers start right after
    return max(1, min(4, os.cpu_count() or 1))


def _anchor_check(cfg: Config, auto_anchors: bool) -> None:
    """Print the anchor check (and fit the anchors with ``auto_anchors``)."""
    try:
        anchor_generator_of(cfg)
    except CLIError as err:
        if auto_anchors:
            raise CLIError(f'--auto-anchors: {err}') from err
        print(f'anchor check: skipped ({err})')
        return
    check = check_anchors(cfg)
    print('\n'.join(describe_check(check)))
    if auto_anchors:
        fit = fit_anchors(cfg, check)
        apply_fit(cfg, fit)
        print('\n'.join(describe_fit(fit)))
        check = fit.after if fit.improved else check
    warning = check_warning(check, fitted=auto_anchors)
    if warning:
        print(warning)


def use_custom_data(cfg: Config, args) -> None:
    """``--data``: point the config at the folder, then check the data (the
    doctor: fails listing its problems) and the anchors (prints)."""
    data = apply_custom_data(cfg, args.data)
    if args.cfg_options is not None:
        # what the user set explicitly still wins over what --data derived
        cfg.merge_from_dict(args.cfg_options)
    print('\n'.join(describe_custom_data(data)))
    info = run_doctor(cfg, _doctor_workers())
    print(f"dataset doctor: {info['num_images']} images checked, no problems")
    _anchor_check(cfg, args.auto_anchors)


def resolved_config_path(runner) -> str:
    """Where the Runner wrote its config (mmengine: the work dir, under the
    config file's name); with ``--data`` that file is the resolved config."""
    return osp.join(runner.work_dir, osp.basename(runner.cfg.filename))


def next_steps(runner) -> str:
    """The line that says which file the other tools take after a ``--data``
    run: the resolved config, with the last checkpoint."""
    path = resolved_config_path(runner)
    ckpt = osp.join(runner.work_dir, 'CHECKPOINT.pth')
    last = osp.join(runner.work_dir, 'last_checkpoint')
    if osp.isfile(last):
        with open(last) as f:
            ckpt = f.read().strip() or ckpt
    return (f'resolved config: {path} -- tools/test.py, tools/infer.py and '
            f'tools/deploy/export.py take it, e.g. python tools/test.py {path} '
            f'{ckpt}')


def build_cfg(args) -> Config:
    cfg = load_config(args)
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
    if args.data:
        use_custom_data(cfg, args)

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
    except DatasetProblems as err:
        for problem in err.problems:
            print(problem, file=sys.stderr)
        fail('train.py', err)
    except CLIError as err:
        fail('train.py', err)
    succeeded = False
    try:
        runner = build_runner(cfg)
        if args.data:
            print(f'resolved config: {resolved_config_path(runner)}')
        runner.train()
        if args.data:
            print(next_steps(runner))
        succeeded = True
    except (TrainingDivergedError, TooManyBadSamplesError) as err:
        # a diverged loss or too many unreadable samples: one line, no traceback
        fail('train.py', err)
    finally:
        close_distributed(succeeded)
