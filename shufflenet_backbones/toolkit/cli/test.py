"""Test (and evaluate) a checkpoint of a detection, segmentation or classification
config (mmdet 3.x's command line).

    python tools/test.py CONFIG CHECKPOINT [--out results.pkl] [--show-dir DIR]
                                           [--deploy] [--work-dir DIR]
                                           [--cfg-options k=v ...]
    python tools/test.py CONFIG MODEL.onnx --backend {onnxruntime,openvino}
    python tools/test.py CONFIG CHECKPOINT --slice H W [--overlap 0.2]
                                           [--no-whole-image]

A CHECKPOINT ending in ``.onnx`` (written by ``tools/deploy/export.py``) is run by
the chosen runtime in the place of the PyTorch model, through the same test loop
and evaluator: the figures compare one to one.

``--slice H W`` (detectors) evaluates sliced inference: each test image is read
from its file and predicted by overlapping tiles of H x W pixels merged by NMS
(:mod:`shufflenet_backbones.toolkit.inference.slicing`), through the same test
loop and evaluator; with a .onnx file too.

Multi-process (GPUs, or CPU processes with gloo):
``bash tools/dist_test.sh CONFIG CHECKPOINT N``.

mmengine only warns when a checkpoint does not fit the model and then tests a
half-initialised network; here the checkpoint's keys and shapes are compared with the
model first, and a checkpoint of another architecture is an error naming a few keys.
"""
import argparse
import json
import os
import os.path as osp

import torch
from mmdet.evaluation import DumpDetResults
from mmengine.config import Config
from mmengine.evaluator import DumpResults
from mmengine.model import is_model_wrapper

from ...checkpoint.state_dict import (check_fits, describe_mismatch,
                                      load_state_dict)
from ...engine import DeployBackboneHook
from ..deploy.runtime import BACKENDS
from ..errors import CLIError, fail
from ..inference.slicing import SlicedTestHook
from .common import (add_common_args, build_runner, check_datasets,
                     close_distributed, load_config, parse_common,
                     setup_cpu_distributed)
from .infer import add_slice_args, slice_settings


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Test (and evaluate) a detector, segmenter or classifier.')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file (.pth) to test')
    parser.add_argument(
        '--out',
        help='also dump the raw predictions to this pickle file (.pkl / .pickle) '
        'for offline evaluation')
    parser.add_argument(
        '--show-dir',
        help='save images with predictions drawn here (a relative path is under '
        '<work_dir>/<timestamp>/, for segmentation under <work_dir>/); the config '
        'needs default_hooks.visualization')
    parser.add_argument(
        '--deploy',
        action='store_true',
        help='fold the ShuffleNet backbone\'s BN into its convs after loading the '
        'checkpoint: faster inference, results changed by float rounding only')
    parser.add_argument(
        '--backend',
        choices=BACKENDS,
        default='onnxruntime',
        help='the runtime that runs a .onnx CHECKPOINT (default: onnxruntime)')
    add_slice_args(parser)
    add_common_args(parser, dist_script='tools/dist_test.sh')
    return parse_common(parser, argv)


def check_checkpoint_fits(model: torch.nn.Module, path: str, config: str,
                          logger=None) -> None:
    """Raise :class:`CLIError` if the checkpoint lacks weights of the model or has
    other shapes -- i.e. it was trained for another architecture / config."""
    if is_model_wrapper(model):
        model = model.module
    try:
        unexpected = check_fits(model.state_dict(), load_state_dict(path), path,
                                config)
    except (FileNotFoundError, ValueError) as err:
        raise CLIError(str(err)) from err
    if unexpected and logger is not None:
        # extra weights (e.g. a head this config does not use) are harmless
        logger.warning(f'checkpoint {path}: '
                       f'{describe_mismatch([], unexpected, [])}, not used by the '
                       'model')


def enable_drawing(cfg: Config, show_dir: str) -> None:
    """Turn on the config's visualization hook so that it saves every test image
    with its predictions under ``show_dir`` (relative: under <work_dir>/<timestamp>/,
    for segmentation under <work_dir>/).

    Each library's hook is switched on differently: mmdet's by ``draw`` and
    ``test_out_dir``, mmseg's by ``draw`` (images go to the visualizer's
    ``save_dir``), mmpretrain's by ``enable`` and ``out_dir``.
    """
    hooks = cfg.get('default_hooks') or {}
    if 'visualization' not in hooks:
        raise CLIError('--show-dir needs default_hooks.visualization in the config, '
                       "e.g. dict(type='DetVisualizationHook')")
    hook = hooks.visualization
    scope = cfg.get('default_scope', 'mmdet')
    if scope == 'mmpretrain':
        hook.update(enable=True, out_dir=show_dir, interval=1)
    elif scope == 'mmseg':
        hook.update(draw=True, interval=1)
        # the visualizer is built before the run's timestamp folder exists: a
        # relative path goes under the work dir itself
        cfg.visualizer.save_dir = osp.join(cfg.work_dir, show_dir)
    else:
        hook.update(draw=True, test_out_dir=show_dir)


def is_exported(checkpoint: str) -> bool:
    return checkpoint.endswith('.onnx')


def check_exported(cfg: Config, args) -> None:
    """:class:`CLIError` unless the exported file can stand in for the config's
    model: written by tools/deploy/export.py, for the same task and classes,
    and (for detectors) evaluated on masks only if it predicts them."""
    # deployment code is imported only when an exported file is tested
    from ..deploy.export import TASKS
    from ..deploy.metadata import (META_CLASSES, META_OUTPUTS, META_TASK,
                                   read_metadata)
    if args.deploy:
        raise CLIError('--deploy folds the BN of a PyTorch checkpoint; an '
                       'exported file has it folded already')
    try:
        meta = read_metadata(args.checkpoint)
    except (FileNotFoundError, ValueError) as err:
        raise CLIError(str(err)) from err
    task = TASKS.get(cfg.get('default_scope', 'mmdet'))
    if meta[META_TASK] != task:
        raise CLIError(f'{args.checkpoint} is a {meta[META_TASK]} model; '
                       f'{args.config} is a {task} config')
    classes = json.loads(meta[META_CLASSES])
    dataset = cfg.test_dataloader.get('dataset', {})
    expected = (dataset.get('metainfo') or {}).get('classes')
    if classes and expected and list(classes) != list(expected):
        raise CLIError(f'{args.checkpoint} predicts {len(classes)} classes '
                       f'({", ".join(classes[:3])}, ...); the test set of '
                       f'{args.config} has {len(expected)} '
                       f'({", ".join(expected[:3])}, ...)')
    metrics = cfg.test_evaluator.get('metric') if isinstance(
        cfg.test_evaluator, dict) else None
    if ('segm' in (metrics or [])
            and 'masks' not in json.loads(meta[META_OUTPUTS])):
        raise CLIError(f'{args.checkpoint} predicts boxes only: evaluate with '
                       '--cfg-options test_evaluator.metric=bbox')


def backend_model(args):
    """The exported file as the model (a :class:`~..deploy.backend_model.
    BackendModel`); :class:`CLIError` when it cannot be loaded."""
    from ..deploy.backend_model import BackendModel
    from ..deploy.runtime import BackendUnavailableError
    try:
        return BackendModel(args.checkpoint, args.backend)
    except (FileNotFoundError, ValueError, BackendUnavailableError) as err:
        raise CLIError(str(err)) from err


def check_slicing(cfg: Config, args) -> None:
    """:class:`CLIError` unless ``--slice`` can evaluate the config: a detector
    evaluated on boxes (only boxes are merged from the tiles)."""
    scope = cfg.get('default_scope', 'mmdet')
    if scope != 'mmdet':
        raise CLIError(f'--slice merges detected boxes; {args.config} is an '
                       f'{scope} config')
    metrics = cfg.test_evaluator.get('metric') if isinstance(
        cfg.test_evaluator, dict) else None
    metrics = [metrics] if isinstance(metrics, str) else list(metrics or [])
    if 'segm' in metrics:
        raise CLIError('--slice merges boxes only, not masks: evaluate with '
                       '--cfg-options test_evaluator.metric=bbox')


def build_cfg(args) -> Config:
    if not osp.isfile(args.checkpoint) and '://' not in args.checkpoint:
        raise CLIError(f'checkpoint not found: {args.checkpoint}')
    args.slicing = slice_settings(args)  # checked before anything is built
    if args.out is not None and not args.out.endswith(('.pkl', '.pickle')):
        raise CLIError(f'--out must be a .pkl or .pickle file, got {args.out}')
    cfg = load_config(args)
    # an exported file is not a checkpoint: the model is replaced instead
    cfg.load_from = None if is_exported(args.checkpoint) else args.checkpoint
    # Testing needs no training parts; left in, a hook asking for ``runner.iter``
    # (mmseg's visualization hook) would build the training dataloader and fail
    # where the training split is absent. mmengine wants them None together.
    for key in ('train_dataloader', 'train_cfg', 'optim_wrapper', 'param_scheduler'):
        cfg[key] = None

    if is_exported(args.checkpoint):
        check_exported(cfg, args)
    if args.slicing is not None:
        check_slicing(cfg, args)
    if args.show_dir:
        enable_drawing(cfg, args.show_dir)

    # a test run must not fail because the training split is absent
    check_datasets(cfg, keep=['test_dataloader'])
    setup_cpu_distributed(cfg, args.launcher)
    return cfg


def main(argv=None) -> None:
    args = parse_args(argv)
    try:
        cfg = build_cfg(args)
    except CLIError as err:
        fail('test.py', err)
    succeeded = False
    try:
        run_test(args, cfg)
        succeeded = True
    finally:
        close_distributed(succeeded)


def run_test(args, cfg: Config) -> None:
    """Build the Runner, put the checkpoint or exported file in, and test."""
    runner = build_runner(cfg)
    try:
        if is_exported(args.checkpoint):
            runner.model = backend_model(args)
        else:
            check_checkpoint_fits(runner.model, args.checkpoint, args.config,
                                  runner.logger)
        if args.deploy:
            runner.register_hook(DeployBackboneHook(runner.model))
        if getattr(args, 'slicing', None) is not None:
            runner.register_hook(SlicedTestHook(args.slicing))
    except (CLIError, ValueError) as err:
        fail('test.py', err)

    if args.out is not None:
        if osp.dirname(args.out):
            os.makedirs(osp.dirname(args.out), exist_ok=True)
        # mmdet's dumper also turns masks into RLE; the others take mmengine's
        dump = DumpDetResults if cfg.get('default_scope', 'mmdet') == 'mmdet' \
            else DumpResults
        runner.test_evaluator.metrics.append(dump(out_file_path=args.out))
    try:
        runner.test()
    except ValueError as err:
        if not is_exported(args.checkpoint):
            raise
        fail('test.py', err)  # e.g. an image larger than a fixed-size file
