"""What the benchmarks share: interleaved timing, the summary of the rounds, and
the deployment runtimes that the deployment rows time (their options are in
:mod:`shufflenet_backbones.toolkit.cli.benchmarks.options`, their report files in
:mod:`shufflenet_backbones.toolkit.analysis.reports`)."""
import copy
import statistics
import time
import types
from pathlib import Path
from typing import Callable, Dict, List, NamedTuple, Optional, Tuple

import numpy as np
import torch
import torch.nn as nn
from mmdet.models.dense_heads import RPNHead

from ...models.dense_heads import SelectRPNHead
from ..deploy.runtime import (BackendUnavailableError, InferenceSession,
                              import_backend)

__all__ = [
    'Timing', 'interleaved_rates', 'summarise', 'EAGER', 'Runtime', 'runtimes',
    'runtime_versions', 'open_session', 'write_random_images',
    'ratios_to', 'cycling_test_step', 'EAGER_MMDET_NMS', 'with_mmdet_proposal_nms'
]


class Timing(NamedTuple):
    warmup: int  # passes per entry before timing
    rounds: int
    target_seconds: float  # per entry and round


def interleaved_rates(passes: Dict[str, Callable[[], int]], timing: Timing
                      ) -> Tuple[int, Dict[str, List[float]]]:
    """Images / second of each entry per round, the entries interleaved (A, B, C,
    A, B, C, ...) so that changes in machine load hit them alike.

    Each callable runs one forward pass and returns the images it processed. The
    passes per round are the same for every entry, chosen so that the slowest
    warm-up pass fills ``timing.target_seconds``; returned with the rates.
    """
    slowest = 0.0
    for run in passes.values():
        for _ in range(timing.warmup):
            run()
        start = time.perf_counter()
        run()
        slowest = max(slowest, time.perf_counter() - start)
    per_round = max(1, round(timing.target_seconds / slowest))
    rates = {name: [] for name in passes}
    for _ in range(timing.rounds):
        for name, run in passes.items():
            images = 0
            start = time.perf_counter()
            for _ in range(per_round):
                images += run()
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            rates[name].append(images / (time.perf_counter() - start))
    return per_round, rates


def summarise(rates: List[float]) -> dict:
    """Median and spread of per-round rates (at least 2 rounds)."""
    q1, _, q3 = statistics.quantiles(rates, n=4)
    return dict(median=statistics.median(rates), q1=q1, q3=q3, min=min(rates),
                max=max(rates), rounds=rates)


# The deployment rows: PyTorch eager beside the exported model in each runtime, all
# timed in the same interleaved rounds, each runtime's ratio taken to EAGER's median.
# (INT8 files from static QDQ calibration: deploy.quantize.)
EAGER = 'PyTorch eager'
# the peer of SelectRPNHead's early-stopped proposal NMS: the same model with
# mmdet's RPNHead post-processing
EAGER_MMDET_NMS = "PyTorch eager, mmdet's proposal NMS"


def with_mmdet_proposal_nms(model: nn.Module) -> Optional[nn.Module]:
    """A copy of ``model`` whose RPN post-processes its proposals with mmdet's
    ``RPNHead._bbox_post_process`` (NMS over all ``nms_pre`` boxes) instead of
    :class:`SelectRPNHead`'s early-stopped NMS; None where the RPN is not a
    :class:`SelectRPNHead` (it is mmdet's already)."""
    if not isinstance(getattr(model, 'rpn_head', None), SelectRPNHead):
        return None
    peer = copy.deepcopy(model)
    peer.rpn_head._bbox_post_process = types.MethodType(
        RPNHead._bbox_post_process, peer.rpn_head)
    return peer


class Runtime(NamedTuple):
    label: str  # the row's name
    backend: str  # deploy.runtime backend
    int8: bool  # the QDQ file of deploy.quantize rather than the FP32 export


# deploy.runtime.InferenceSession runs OpenVINO with its f32 precision hint (the CPU
# plugin's default is bf16 on CPUs with bf16 instructions); INT8 layers stay int8
RUNTIMES = (Runtime('onnxruntime FP32', 'onnxruntime', False),
            Runtime('onnxruntime INT8', 'onnxruntime', True),
            Runtime('OpenVINO FP32', 'openvino', False),
            Runtime('OpenVINO INT8', 'openvino', True))


def runtimes() -> List[Runtime]:
    """:data:`RUNTIMES` whose package is installed."""
    found = []
    for runtime in RUNTIMES:
        try:
            import_backend(runtime.backend)
        except BackendUnavailableError:
            continue
        found.append(runtime)
    return found


def runtime_versions() -> Dict[str, str]:
    versions = {}
    for backend in sorted({r.backend for r in RUNTIMES}):
        try:
            module = import_backend(backend)
        except BackendUnavailableError:
            continue
        versions[backend] = module.__version__.split('-')[0]
    return versions


def open_session(path: str, runtime: Runtime,
                 threads: Optional[int]) -> InferenceSession:
    """``path`` in ``runtime`` with ``threads`` intra-op threads."""
    return InferenceSession(path, runtime.backend, threads)


def write_random_images(folder: Path, count: int, size: Tuple[int, int],
                        seed: int = 0) -> Path:
    """``count`` PNG images of uniform random pixels, ``size`` (H, W), in
    ``folder``: calibration data for timing INT8 models, whose speed does not
    depend on how well they are calibrated."""
    from PIL import Image
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(count):
        pixels = rng.integers(0, 256, (*size, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f'random_{i:03d}.png')
    return folder


def ratios_to(rates: Dict[str, List[float]], reference: str) -> Dict[str, float]:
    """Each entry's median images / second over ``reference``'s, both from the
    same interleaved rounds."""
    base = statistics.median(rates[reference])
    return {name: statistics.median(r) / base for name, r in rates.items()}


def cycling_test_step(model, batches: List[dict]):
    """One pass: ``model.test_step`` on the next image (each model its own copy
    of the batches: the data preprocessor writes into the data samples)."""
    own = copy.deepcopy(batches)
    state = dict(i=0)

    def run() -> int:
        model.test_step(own[state['i'] % len(own)])
        state['i'] += 1
        return 1

    return run
