"""Where a two-stage detector's test time goes, stage by stage, in PyTorch eager
and in each runtime, beside each stage's multiply-adds and the machine's measured
dense-conv rate (the roofline a stage's convs and FCs could reach here).

Stages (:data:`STAGES`): preprocessing, backbone, neck (Light-Head's thin map,
ThunderNet's CEM + RPN trunk + SAM, FPN), RPN head, proposal decoding + NMS, RoI
pooling, R-CNN head, final (per-class) NMS.

- **Eager:** the PyTorch profiler, with each stage's method wrapped in a
  ``record_function`` (:data:`EAGER_STAGES`); what the stages leave of the
  ``test_step`` is glue (Python between them, data samples).
- **Runtimes:** onnxruntime's profiler and OpenVINO's performance counters give
  each graph node's time; a node's stage is the module scope the exporter gave it
  (``/backbone/...``), and the unscoped nodes between stages are the graph's own
  ops: before the backbone, preprocessing (normalise, pad); between RPN head and
  RoI pooling, proposals + NMS; after the R-CNN head, final NMS
  (:func:`node_stages`). Nodes a runtime reports under names the file does not
  have (fused or inserted layers) count as "runtime's own"; the wall time
  outside the runtime's nodes is the Python around the session (packing the
  image, scaling the boxes).
- **Roofline:** multiply-adds per stage as
  :func:`~..analysis.complexity.detector_multiply_adds` counts them (convs and
  FCs) over the stage's time, as a share of :func:`dense_conv_rate`.
"""
import re
import time
from collections import defaultdict
from contextlib import contextmanager
from typing import Callable, Dict, Iterator, List, Sequence, Tuple

import onnx
import torch
import torch.nn as nn
from torch.profiler import ProfilerActivity, profile, record_function

from ..analysis.complexity import detector_multiply_adds
from ..deploy.backend_model import BackendModel
from .timing import (EAGER, EAGER_MMDET_NMS, cycling_test_step, runtimes,
                     with_mmdet_proposal_nms)

STAGES = ('preprocessing', 'backbone', 'neck', 'RPN head', 'proposals + NMS',
          'RoI pooling', 'R-CNN head', 'final NMS')
GLUE = 'glue (outside the stages)'
RUNTIME_OWN = "runtime's own nodes"

# eager: the (submodule, method) each stage is
EAGER_STAGES = {
    'preprocessing': ('data_preprocessor', 'forward'),
    'backbone': ('backbone', 'forward'),
    'neck': ('neck', 'forward'),
    'RPN head': ('rpn_head', 'forward'),
    'proposals + NMS': ('rpn_head', 'predict_by_feat'),
    'RoI pooling': ('roi_head.bbox_roi_extractor', 'forward'),
    'R-CNN head': ('roi_head.bbox_head', 'forward'),
    'final NMS': ('roi_head.bbox_head', 'predict_by_feat'),
}
# the exporter's module scopes (first name of a node's scope) of each stage
SCOPES = {'backbone': 'backbone', 'neck': 'neck', 'rpn_head': 'RPN head',
          'bbox_roi_extractor': 'RoI pooling', 'bbox_head': 'R-CNN head'}
# what the unscoped nodes after each scoped stage belong to
AFTER = {None: 'preprocessing', 'RPN head': 'proposals + NMS',
         'R-CNN head': 'final NMS'}
# detector_multiply_adds' parts (depth 1) and their stages; RoI pooling and the
# NMS stages have none
MAC_PARTS = {'backbone': 'backbone', 'neck': 'neck', 'rpn_head': 'RPN head',
             'roi_head': 'R-CNN head'}


@contextmanager
def _recorded_stages(model: nn.Module) -> Iterator[None]:
    """Each stage's method wrapped in ``record_function(stage)`` on the instance
    while inside; the class methods are untouched."""
    wrapped = []
    for stage, (path, method) in EAGER_STAGES.items():
        module = model.get_submodule(path)
        original = getattr(module, method)

        def run(*args, _original=original, _stage=stage, **kwargs):
            with record_function(_stage):
                return _original(*args, **kwargs)

        setattr(module, method, run)
        wrapped.append((module, method))
    try:
        yield
    finally:
        for module, method in wrapped:
            delattr(module, method)


def profile_eager(model: nn.Module, step: Callable[[], int], passes: int
                  ) -> Dict[str, float]:
    """Seconds per pass in each stage of ``step`` (``model.test_step`` on one
    image), and :data:`GLUE` for the rest of the pass."""
    step()  # warm-up
    with _recorded_stages(model), profile(activities=[ProfilerActivity.CPU]) as prof:
        start = time.perf_counter()
        for _ in range(passes):
            step()
        total = (time.perf_counter() - start) / passes
    per_stage = {stage: 0. for stage in STAGES}
    for event in prof.key_averages():
        if event.key in per_stage:
            per_stage[event.key] = event.cpu_time_total / 1e6 / passes
    per_stage[GLUE] = max(0., total - sum(per_stage.values()))
    return per_stage


def node_stages(path: str) -> Dict[str, str]:
    """The stage of every node of the exported file ``path`` (see the module
    docstring)."""
    stages, current = {}, None
    for node in onnx.load(path).graph.node:
        parts = node.name.split('/')
        scope = SCOPES.get(parts[1]) if node.name.startswith('/') and len(
            parts) > 2 else None
        if node.op_type == 'RoiAlign':
            # torchvision's RoIAlign exports without its module's scope (FPN's
            # per-level RoIAlign); it is RoI pooling wherever it sits
            stages[node.name] = 'RoI pooling'
            continue
        if scope is not None:
            current = scope
            stages[node.name] = scope
        else:
            stages[node.name] = AFTER.get(current, current or 'preprocessing')
    return stages


_SCOPE_IN_NAME = re.compile('/(' + '|'.join(SCOPES) + ')/')


def _stage_of(name: str, stages: Dict[str, str]) -> str:
    """The stage of a node a runtime reports: the file's node of that name, else
    a module scope inside the name (runtimes name fused or reordered layers
    after a node, e.g. OpenVINO's ``/Where_abcd_acdb_/backbone/conv1/...``),
    else :data:`RUNTIME_OWN`."""
    if name in stages:
        return stages[name]
    found = _SCOPE_IN_NAME.search(name)
    return SCOPES[found.group(1)] if found else RUNTIME_OWN


def profile_runtime(model, step: Callable[[], int], passes: int,
                    stages: Dict[str, str]) -> Dict[str, float]:
    """Seconds per pass in each stage, for a
    :class:`~..deploy.backend_model.BackendModel` opened with ``profile=True``;
    :data:`RUNTIME_OWN` for nodes the file does not name, :data:`GLUE` for the
    wall time outside the runtime's nodes."""
    step()  # warm-up, left out of the node times
    start = time.perf_counter()
    for _ in range(passes):
        step()
    total = (time.perf_counter() - start) / passes
    per_stage: Dict[str, float] = defaultdict(float)
    for name, seconds in model.session.node_seconds(skip_runs=1).items():
        per_stage[_stage_of(name, stages)] += seconds / passes
    result = {stage: per_stage.get(stage, 0.) for stage in STAGES}
    result[RUNTIME_OWN] = per_stage.get(RUNTIME_OWN, 0.)
    result[GLUE] = max(0., total - sum(result.values()))
    return result


def dense_conv_rate(threads: int, repeats: int = 10) -> float:
    """Multiply-adds per second of one dense 3x3 convolution, 256 to 256
    channels on a 64x64 map (channels-last, as the backbones run on CPU), on
    ``threads`` threads: the rate a stage of convs and FCs could reach here."""
    saved = torch.get_num_threads()
    torch.set_num_threads(threads)
    conv = nn.Conv2d(256, 256, 3, padding=1).eval().to(
        memory_format=torch.channels_last)
    x = torch.randn(1, 256, 64, 64).to(memory_format=torch.channels_last)
    macs = 9 * 256 * 256 * 64 * 64
    try:
        with torch.inference_mode():
            conv(x)
            start = time.perf_counter()
            for _ in range(repeats):
                conv(x)
            return macs * repeats / (time.perf_counter() - start)
    finally:
        torch.set_num_threads(saved)


def stage_macs(model: nn.Module, size: Tuple[int, int], num_rois: int
               ) -> Dict[str, int]:
    """Multiply-adds of each stage at ``size`` with ``num_rois`` RoIs."""
    counts = detector_multiply_adds(model, image_size=size, num_rois=num_rois)
    macs = {stage: 0 for stage in STAGES}
    for part, stage in MAC_PARTS.items():
        macs[stage] = counts.get(part, 0)
    return macs


def roofline_shares(seconds: Dict[str, float], macs: Dict[str, int],
                    rate: float) -> Dict[str, float]:
    """Each stage's achieved multiply-adds per second as a share of ``rate``
    (stages with no multiply-adds, or no time, are left out)."""
    return {stage: macs[stage] / seconds[stage] / rate for stage in STAGES
            if macs.get(stage) and seconds.get(stage)}


def profile_rows(columns: Dict[str, Dict[str, float]], macs: Dict[str, int],
                 rate: float) -> List[dict]:
    """One row per stage (and the glue rows): for each column (eager, each
    runtime) its milliseconds per image, share of the total and roofline share."""
    rows = []
    names: Sequence[str] = (*STAGES, RUNTIME_OWN, GLUE)
    shares = {c: roofline_shares(s, macs, rate) for c, s in columns.items()}
    totals = {c: sum(s.values()) for c, s in columns.items()}
    for stage in names:
        row = dict(stage=stage, mmacs=macs.get(stage, 0) / 1e6, columns={})
        for column, seconds in columns.items():
            value = seconds.get(stage, 0.)
            row['columns'][column] = dict(
                ms=value * 1e3, share=value / totals[column] if totals[column] else 0.,
                roofline=shares[column].get(stage))
        rows.append(row)
    return rows


PASSES = 5  # profiled passes per column, after one warm-up pass


def profile_detector(detector: str, weights: str, model: nn.Module, cfg,
                     files: Dict[str, str], batches: List[dict],
                     size: Tuple[int, int], threads: int,
                     passes: int = PASSES) -> dict:
    """The per-stage table of one detector: PyTorch eager (and, for
    :class:`~...models.dense_heads.SelectRPNHead` RPNs, eager with mmdet's
    proposal NMS), and every runtime
    (``files``: ``{'fp32': path, 'int8': path}``) on ``batches`` (one image
    each, cycled), beside the stages' multiply-adds (at the graph's RoI count,
    ``test_cfg.rpn.max_per_img``) and the dense-conv rate on ``threads``
    threads. ``weights`` says which ('trained', 'random')."""
    rate = dense_conv_rate(threads)
    with torch.inference_mode():
        columns = {EAGER: profile_eager(model, cycling_test_step(model, batches),
                                        passes)}
        peer = with_mmdet_proposal_nms(model)
        if peer is not None:
            columns[EAGER_MMDET_NMS] = profile_eager(
                peer, cycling_test_step(peer, batches), passes)
        stages = {key: node_stages(path) for key, path in files.items()}
        for runtime in runtimes():
            key = 'int8' if runtime.int8 else 'fp32'
            deployed = BackendModel(files[key], runtime.backend, threads,
                                    share_cpu=True, profile=True)
            columns[runtime.label] = profile_runtime(
                deployed, cycling_test_step(deployed, batches), passes, stages[key])
    macs = stage_macs(model, size, cfg.model.test_cfg.rpn.max_per_img)
    return dict(detector=detector, input=f'{size[0]}x{size[1]}, batch 1',
                weights=weights, threads=threads, passes=passes,
                dense_gmacs_per_s=rate / 1e9, rows=profile_rows(columns, macs, rate))
