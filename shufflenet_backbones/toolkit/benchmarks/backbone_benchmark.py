"""Throughput of our ShuffleNet backbones beside torchvision's and mmpretrain's.

    python tools/analysis/benchmark_backbone.py [--threads 2] [--v2-widths 1.0 0.5]
        [--quick] [--deploy-only | --skip-deploy] [--out-dir work_dirs/benchmarks]

Compared: ShuffleNetV2 at each ``--v2-widths`` (torchvision's ``shufflenet_v2_x*``
without pooling and FC, mmpretrain's ``ShuffleNetV2``, ours) and ShuffleNetV1 g=3
1x (mmpretrain's ``ShuffleNetV1``, ours). Every model returns the feature maps of
stages 2-4 (and conv5 for V2), and all carry identical weights. Ours is timed as
built (``channels_last='auto'``: on CPU the layers run channels-last behind NCHW
input and outputs, which is what a detector gets) and in the variants that the
performance work measured:

- ``channels_last=False``: NCHW throughout;
- the same without ``concat_shuffle`` (a separate cat and channel shuffle, i.e.
  exactly torchvision's operations): the ablation;
- ``switch_to_deploy()`` (BN folded into the convs);
- torchvision's model in channels-last memory format set by the user (weights and
  input), since any model can be run that way: ours as built and deployed are
  also compared with it, the peer in the same layout.

Each row's ratio compares it with the peer named in its row: torchvision's model
(V1: mmpretrain's).

Weights: V2 starts from torchvision's model, whose state dict
``shufflenet_backbones.toolkit.weights.torchvision_keys`` converts for ours and
mmpretrain's (same keys); V1 starts from mmpretrain's, loaded into ours as it is.
The source first gets random BN affine parameters and the BN statistics of one
random batch, so that every feature map is of order 1 (fresh BN layers leave V2's
deepest near 1e-4). Before timing, every variant's feature maps must match the
first model's to 1e-5 of each map's peak; BN-folded variants to 1e-4, since
folding changes float32 rounding (the measured figure is reported).

Protocol: eval mode, ``torch.inference_mode``, ``--threads`` intra-op threads, on
CPU and, where there is one, on the GPU (synchronised after each model's passes in
a round). Per
input: warm-up, then rounds in which each model in turn runs the same number of
forward passes (A, B, C, A, B, C, ...), so that changes in machine load hit all of
them alike. Reported: images / second per round, median and spread (IQR, min, max)
over the rounds, and the ratio of medians (> 1: faster than the peer).

Runtimes (``--deploy-only`` runs these rows alone, ``--skip-deploy`` skips them):
ShuffleNetV2 1x (ours as built, the weights above) exported to ONNX (opset 17, the
TorchScript exporter, one static-shape file per input) and run on CPU by
onnxruntime and OpenVINO, FP32 and INT8 (static QDQ with the settings of
``deploy.quantize``: per-channel int8 weights, uint8 activations, MinMax,
calibrated on ``CALIB_BATCHES`` random batches, enough for timing); OpenVINO in
float32 as ``deploy.runtime`` runs it. PyTorch eager is timed again in the same
interleaved rounds, and each runtime's ratio is taken to it. Each file's largest
feature-map difference from PyTorch's is reported; FP32 files must be within
``RUNTIME_FP32_TOLERANCE`` of a map's peak. INT8 files are not checked: these
random-weight models are chaotic (noise of 0.01 on inputs in [0, 1) already
changes the deepest maps by about 90% on average), so int8 rounding moves the
outputs as far, which says nothing about accuracy with trained weights (measure
that with tools/test.py).

Writes ``backbone_<date>.json`` and ``.md`` to ``--out-dir`` and prints the table.
"""
import statistics
import tempfile
import warnings
from pathlib import Path
from typing import Callable, Dict, Optional, Tuple

import torch
import torch.nn as nn

from ..deploy.export import OPSET
from ..deploy.quantize import quantize_feeds
from .backbone_variants import OURS, Variant, v2_models
from .timing import (EAGER, Timing, interleaved_rates, open_session, ratios_to,
                     runtimes, summarise)

# (label, input shape N, C, H, W)
CASES = [('224x224, batch 1', (1, 3, 224, 224)),
         ('224x224, batch 32', (32, 3, 224, 224)),
         ('800x1200, batch 1', (1, 3, 800, 1200))]
# CPU always; CUDA as well where there is a GPU (not tried on the development
# machine, which has none)
DEVICES = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])
SETTINGS = {'full': Timing(3, 10, 0.5), 'quick': Timing(1, 5, 0.2)}
# runtime rows: ShuffleNetV2 at this width; the peer of every runtime row
RUNTIME_WIDTH = 1.0
RUNTIME_PEER = f'{OURS}, {EAGER} (timed with the runtimes)'
CALIB_BATCHES = 4
# largest output difference of an FP32 file from PyTorch eager (of a map's peak):
# kernels that sum in another order
RUNTIME_FP32_TOLERANCE = 1e-3


def forward(model: nn.Module, x: torch.Tensor) -> Callable[[], int]:

    def run() -> int:
        model(x)
        return x.shape[0]

    return run


def time_case(report: dict, family: str, variants: Dict[str, Variant], device: str,
              label: str, shape: Tuple[int, ...], timing: Timing) -> None:
    """Time every variant on one input and add a row per variant to the report."""
    label = f'{label}, {device}'
    x = torch.rand(*shape, device=device)
    with torch.inference_mode():
        passes, rates = interleaved_rates(
            {name: forward(v.model, x) for name, v in variants.items()}, timing)
    medians = {name: statistics.median(r) for name, r in rates.items()}
    for name, per_round in rates.items():
        peer = variants[name].peer
        row = dict(backbone=family, input=label, shape=list(shape),
                   implementation=name, passes_per_round=passes, peer=peer,
                   **summarise(per_round))
        row['ratio'] = None if peer is None else medians[name] / medians[peer]
        report['results'].append(row)
    print(f'{family}, {label}: ' + ', '.join(f'{n} {m:.1f} img/s'
                                             for n, m in medians.items()),
          flush=True)


def export_backbone(model: nn.Module, shape: Tuple[int, ...], path: str) -> None:
    """``model``'s feature maps as an ONNX file with a static input ``shape``,
    written as tests/test_deploy/test_export.py writes it."""
    with warnings.catch_warnings():
        # frozen channel counts (right) and the exporter's deprecation notice
        warnings.simplefilter('ignore')
        torch.onnx.export(model, (torch.rand(*shape), ), path, dynamo=False,
                          opset_version=OPSET, input_names=['input'],
                          output_names=[f.name for f in model.feature_info])


def _session_pass(session, feed: dict, batch: int) -> Callable[[], int]:

    def run() -> int:
        session.run(feed)
        return batch

    return run


def time_runtimes(report: dict, family: str, model: nn.Module, label: str,
                  shape: Tuple[int, ...], timing: Timing, threads: int,
                  work_dir: Path, calib_batches: int = CALIB_BATCHES) -> None:
    """Export ``model`` for ``shape``, quantize it, check every runtime's maps
    against PyTorch's, and time PyTorch eager and the runtimes interleaved (CPU,
    ``threads`` threads); a row each in ``report['runtime_results']``."""
    stem = work_dir / f"{family.replace(' ', '_')}_{'x'.join(map(str, shape))}"
    fp32, int8 = f'{stem}.onnx', f'{stem}_int8.onnx'
    export_backbone(model, shape, fp32)
    quantize_feeds(fp32, [{'input': torch.rand(*shape).numpy()}
                          for _ in range(calib_batches)], int8)
    found = runtimes()
    sessions = {r.label: open_session(int8 if r.int8 else fp32, r, threads)
                for r in found}
    x = torch.rand(*shape)
    feed = {'input': x.numpy()}
    with torch.inference_mode():
        expected = model(x)
    diffs = {}
    for runtime in found:
        outs = sessions[runtime.label].run(feed)
        assert len(outs) == len(expected), runtime.label
        diffs[runtime.label] = max(
            float(abs(o - e.numpy()).max() / e.abs().max()) for o, e in zip(
                outs, expected))
        if not runtime.int8 and diffs[runtime.label] > RUNTIME_FP32_TOLERANCE:
            raise AssertionError(
                f'{runtime.label} differs from {EAGER} by {diffs[runtime.label]:.2e} '
                f"of a feature map's peak (allowed: {RUNTIME_FP32_TOLERANCE})")
    passes = {RUNTIME_PEER: forward(model, x)}
    passes.update({name: _session_pass(session, feed, shape[0])
                   for name, session in sessions.items()})
    with torch.inference_mode():
        per_round, rates = interleaved_rates(passes, timing)
    ratios = ratios_to(rates, RUNTIME_PEER)
    label = f'{label}, cpu'
    files = {r.label: Path(int8 if r.int8 else fp32).name for r in found}
    for name, rounds in rates.items():
        peer = None if name == RUNTIME_PEER else RUNTIME_PEER
        report['runtime_results'].append(dict(
            backbone=family, input=label, shape=list(shape), implementation=name,
            file=files.get(name), passes_per_round=per_round, peer=peer,
            threads=threads,
            output_difference=diffs.get(name), **summarise(rounds),
            ratio=None if peer is None else ratios[name]))
    print(f'{family}, {label}, runtimes: ' + ', '.join(
        f'{n} {statistics.median(r):.1f} img/s ({ratios[n]:.2f}x)'
        for n, r in rates.items()), flush=True)


def measure_runtimes(report: dict, timing: Timing, threads: int, cases=CASES,
                     work_dir: Optional[Path] = None) -> None:
    """The runtime rows of ShuffleNetV2 1x, ours as built, for every input; the
    files go to ``work_dir`` (default: a temporary folder)."""
    if work_dir is None:
        with tempfile.TemporaryDirectory() as tmp:
            return measure_runtimes(report, timing, threads, cases, Path(tmp))
    family = f'ShuffleNetV2 {RUNTIME_WIDTH}x'
    model = v2_models(RUNTIME_WIDTH)[OURS].model
    for label, shape in cases:
        time_runtimes(report, family, model, label, shape, timing, threads,
                      work_dir)
