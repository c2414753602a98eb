"""Export a trained detector, segmenter or classifier to one ONNX file.

    python tools/deploy/export.py CONFIG CHECKPOINT OUT.onnx [--shape H W]
                                  [--batch N] [--dynamic] [--cfg-options k=v ...]
                                  [--exporter {torchscript,dynamo}]

The file holds the whole test-time model, standard ONNX ops only (opset 17; 18
from the torch.export-based exporter), so stock onnxruntime and OpenVINO run it:

- detectors (mmdet two-stage: Light-Head R-CNN, ThunderNet, Faster / Mask
  R-CNN): ``images`` (N, 3, H, W) float pixels and ``img_shapes`` (N, 2) int64
  valid sizes -> ``dets`` (N, K, 5) and ``labels`` (N, K), and for Mask R-CNN
  ``masks`` (N, K, 28, 28), see :class:`~.detector_graph.DetectorGraph`;
- segmenters (mmseg): ``images`` -> ``labels`` (N, H, W) and the decode head's
  ``logits`` (N, C, h, w), see :class:`~.dense_graphs.SegmentorGraph`;
- classifiers (mmpretrain): ``images`` -> ``scores`` (N, num_classes), see
  :class:`~.dense_graphs.ClassifierGraph`.

Images enter as the config's test pipeline leaves them (resized, 0-255, the
loader's channel order); normalisation and padding are in the graph. Without
``--shape`` the file takes any batch, height and width; ``--shape H W`` (and
``--batch``) fix them, for runtimes that want static shapes (``--dynamic`` frees
them again). A fixed file lays smaller images top-left into its input, which
pads more than mmdet does (to the whole input, not to a multiple of 32): for
results exactly as in PyTorch, leave the size free. The config travels inside the file
(:data:`META_CONFIG`), so ``tools/deploy/infer.py`` needs only the file.

``--exporter`` picks torch's TorchScript exporter (``dynamo=False``, the default,
see :data:`DEFAULT_EXPORTER`) or its torch.export-based one (``dynamo=True``,
which needs ``onnxscript``); every family exports with both, and the two files
give the same outputs in onnxruntime.
"""
import importlib
import os
import os.path as osp
import warnings
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import DefaultScope

from ...checkpoint.state_dict import check_fits, read_checkpoint, state_dict_of
from .dense_graphs import ClassifierGraph, SegmentorGraph
from .detector_graph import DetectorGraph, UnsupportedModelError
from .graph_ops import DYNAMO_TRANSLATIONS
from .metadata import file_metadata, write_metadata

OPSET = 17  # the TorchScript exporter's
# The torch.export-based exporter's: its ONNX functions (onnxscript's torchlib)
# are written for opset 18, and ONNX has no adapter to take its Pad down to 17.
DYNAMO_OPSET = 18
EXPORTERS = ('torchscript', 'dynamo')
# TorchScript stays the default, as measured on 2026-12-02 (2 shared cores):
# both exporters write every family, their files give the same outputs in
# onnxruntime (every detection matched, boxes within 3.1e-5 px, same labels)
# and run as fast (Light-Head R-CNN V2 1x within 4% either way at 320x320 and
# 800x1216), but torch.export and its decompositions make the export 6-36x
# slower (Light-Head R-CNN at 800x1216: 2.5 s against 32 s; ThunderNet's
# unrolled soft-NMS: 7 s against 4 min). Switch when torch drops the TorchScript
# exporter, deprecated since torch 2.9.
DEFAULT_EXPORTER = 'torchscript'
EXPORTER_HELP = (
    'torch.onnx.export backend. Both export every model here, and their files '
    'give the same outputs, as fast, in onnxruntime (measured: Light-Head R-CNN '
    'within 4%%); torchscript (dynamo=False, deprecated since torch 2.9) '
    'exports 6-36x faster (Light-Head R-CNN 2.5 s against 32 s), hence the '
    'default; dynamo (torch.export, opset 18, needs onnxscript) is the exporter '
    'torch keeps. Default: %(default)s')
# default_scope -> task (each task's graph names its inputs and outputs)
TASKS = {'mmdet': 'detection', 'mmseg': 'segmentation', 'mmpretrain': 'classification'}


class ExportError(Exception):
    """An expected problem with the user's input: one line, exit code 1."""


def task_of(cfg: Config, path: str) -> str:
    scope = cfg.get('default_scope', 'mmdet')
    if scope not in TASKS:
        raise ExportError(f'{path}: default_scope {scope!r} is none of '
                          f'{sorted(TASKS)}; nothing to export')
    return TASKS[scope]


def load_model(config: str, checkpoint: str,
               cfg_options: Optional[dict] = None) -> Tuple[Config, nn.Module]:
    """Build the model of ``config`` with the weights of ``checkpoint``, checked
    to fit it (a checkpoint of another architecture is an :class:`ExportError`).
    ``model.dataset_meta`` is the checkpoint's (class names), if it has one."""
    if not osp.isfile(config):
        raise ExportError(f'config file not found: {config}')
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    task_of(cfg, config)  # fail before reading a large checkpoint
    # the checkpoint holds every weight: no pretrained file to read first
    if cfg.model.get('backbone', {}).get('init_cfg') is not None:
        cfg.model.backbone.init_cfg = None
    try:
        ckpt = read_checkpoint(checkpoint)
        state_dict = state_dict_of(ckpt, checkpoint)
    except (FileNotFoundError, ValueError) as err:
        raise ExportError(str(err)) from err
    scope = cfg.get('default_scope', 'mmdet')
    registry = importlib.import_module(f'{scope}.registry').MODELS
    with DefaultScope.overwrite_default_scope(scope):
        model = registry.build(cfg.model)
    try:
        check_fits(model.state_dict(), state_dict, checkpoint, config)
    except ValueError as err:
        raise ExportError(str(err)) from err
    model.load_state_dict(state_dict, strict=False)
    model.dataset_meta = (ckpt.get('meta') or {}).get('dataset_meta')
    return cfg, model.eval()


def build_graph(task: str, model: nn.Module) -> nn.Module:
    """The traceable module of ``model`` (see the module docstring)."""
    try:
        if task == 'detection':
            return DetectorGraph(model)
        if task == 'segmentation':
            return SegmentorGraph(model)
        return ClassifierGraph(model)
    except (UnsupportedModelError, ValueError) as err:
        raise ExportError(str(err)) from err


def _pipeline_size(pipeline: Sequence[dict]) -> Optional[Tuple[int, int]]:
    """(H, W) that the test pipeline's last resize or crop produces at most: a
    ``scale`` of (w, h) with ``keep_ratio`` bounds landscape images by (h, w)."""
    size = None
    for step in pipeline:
        kind = step.get('type', '')
        if kind in ('Resize', 'mmdet.Resize', 'mmseg.Resize') and step.get('scale'):
            scale = step['scale']
            width, height = (scale, scale) if isinstance(scale, int) else scale
            size = (height, width)
        elif kind == 'CenterCrop' and step.get('crop_size'):
            crop = step['crop_size']
            size = (crop, crop) if isinstance(crop, int) else (crop[1], crop[0])
    return size


def default_shape(cfg: Config) -> Tuple[int, int]:
    pipeline = cfg.get('test_dataloader', {}).get('dataset', {}).get('pipeline', [])
    size = _pipeline_size(pipeline)
    # images used as they are: the size mmseg's preprocessor pads them to
    preprocessor_size = cfg.model.get('data_preprocessor', {}).get('size')
    if size is None and preprocessor_size:
        size = tuple(preprocessor_size)
    if size is None:
        raise ExportError('the config\'s test pipeline has no Resize scale or '
                          'CenterCrop size to take the input size from: pass '
                          '--shape H W (or --dynamic)')
    return size


def class_names(cfg: Config, model: nn.Module) -> Sequence[str]:
    for source in (getattr(model, 'dataset_meta', None) or {},
                   cfg.get('test_dataloader', {}).get('dataset', {}).get(
                       'metainfo', {}) or {}):
        if source.get('classes'):
            return list(source['classes'])
    return []


def _example_inputs(task: str, batch: int, height: int,
                    width: int) -> Tuple[torch.Tensor, ...]:
    # mid-grey rather than zeros: every branch of the graph sees real values
    images = torch.full((batch, 3, height, width), 128.0)
    if task == 'detection':
        return images, torch.tensor([[height, width]] * batch)
    return (images, )


def _run_exporter(exporter: str, graph: nn.Module, example: Tuple[torch.Tensor, ...],
                  out: str, dynamic_axes: Optional[dict]) -> None:
    """``torch.onnx.export`` of ``graph`` with the chosen exporter; both write
    the same graph (:data:`DEFAULT_EXPORTER`)."""
    inputs, outputs = list(graph.input_names), list(graph.output_names)
    if exporter == 'torchscript':
        torch.onnx.export(graph, example, out, dynamo=False, opset_version=OPSET,
                          input_names=inputs, output_names=outputs,
                          dynamic_axes=dynamic_axes)
        return
    # torch.export takes the free axes of the inputs only (keyed by forward's
    # arguments, which the input names are) and derives the outputs'; named as
    # in dynamic_axes, the inputs' keep those names in the file
    dynamic_shapes = None if dynamic_axes is None else {
        name: dynamic_axes[name] for name in inputs}
    torch.onnx.export(graph, example, out, dynamo=True, opset_version=DYNAMO_OPSET,
                      input_names=inputs, output_names=outputs,
                      dynamic_shapes=dynamic_shapes,
                      custom_translation_table=DYNAMO_TRANSLATIONS,
                      # one self-contained file, as the TorchScript exporter
                      # writes, rather than the weights beside it
                      external_data=False, verbose=False)


def export(config: str,
           checkpoint: str,
           out: str,
           shape: Optional[Tuple[int, int]] = None,
           batch: int = 1,
           dynamic: bool = False,
           cfg_options: Optional[dict] = None,
           exporter: str = DEFAULT_EXPORTER) -> Dict[str, str]:
    """Write the model of ``config`` with ``checkpoint``'s weights to ``out``.

    Args:
        config (str): A detection, segmentation or classification config.
        checkpoint (str): Its trained weights (.pth).
        out (str): The ONNX file to write.
        shape (tuple[int, int], optional): A fixed input (H, W); None: batch,
            height and width vary (traced at the test pipeline's resize scale).
            Defaults to None.
        batch (int): Input batch size. Defaults to 1.
        dynamic (bool): Let batch, height and width vary also with ``shape``.
            Defaults to False.
        cfg_options (dict, optional): Overrides of config entries.
        exporter (str): ``'torchscript'`` or ``'dynamo'`` (torch.export);
            defaults to :data:`DEFAULT_EXPORTER`.

    Returns:
        dict: The metadata written into the file.

    Raises:
        ExportError: A missing file, a checkpoint that does not fit the config,
            a model part that does not export.
    """
    cfg, model = load_model(config, checkpoint, cfg_options)
    # without a size the file takes any: a keep-ratio resize makes landscape and
    # portrait images of other shapes, and mmdet pads each batch to its own size
    return export_model(cfg, model, out, shape, batch, dynamic or shape is None,
                        exporter)


def export_model(cfg: Config,
                 model: nn.Module,
                 out: str,
                 shape: Optional[Tuple[int, int]] = None,
                 batch: int = 1,
                 dynamic: bool = False,
                 exporter: str = DEFAULT_EXPORTER) -> Dict[str, str]:
    """Write ``model``, built from ``cfg`` and in eval mode, to ``out``; see
    :func:`export` for the arguments."""
    task = task_of(cfg, 'the config')
    if exporter not in EXPORTERS:
        raise ExportError(f'exporter {exporter!r}: one of {", ".join(EXPORTERS)}')
    height, width = shape or default_shape(cfg)
    if height < 1 or width < 1 or batch < 1:
        raise ExportError(f'--shape and --batch must be positive, got '
                          f'{height}x{width}, batch {batch}')
    graph = build_graph(task, model)
    inputs, outputs = graph.input_names, graph.output_names
    dynamic_axes = None
    if dynamic:
        dynamic_axes = {name: {0: 'batch'} for name in inputs + outputs}
        dynamic_axes['images'] = {0: 'batch', 2: 'height', 3: 'width'}
        if task == 'segmentation':
            dynamic_axes['labels'] = {0: 'batch', 1: 'height', 2: 'width'}
            dynamic_axes['logits'] = {0: 'batch', 2: 'logits_height',
                                      3: 'logits_width'}
    if osp.dirname(out):
        os.makedirs(osp.dirname(out), exist_ok=True)
    with torch.no_grad(), warnings.catch_warnings():
        # Python values frozen into the graph (channel counts, configured sizes:
        # right, they never change), the TorchScript exporter's deprecation, and
        # torch.export's notices about its own internals
        warnings.simplefilter('ignore')
        _run_exporter(exporter, graph, _example_inputs(task, batch, height, width),
                      out, dynamic_axes)
    meta = file_metadata(task, cfg.pretty_text, class_names(cfg, model), outputs,
                         (batch, 3, height, width), dynamic)
    write_metadata(out, meta)
    return meta
