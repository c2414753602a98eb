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
``shufflenet_backbones.weights.torchvision`` converts for ours and
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
import argparse
import copy
import statistics
import tempfile
import types
import warnings
from pathlib import Path
from typing import Callable, Dict, List, NamedTuple, Optional, Tuple

import mmpretrain
import torch
import torch.nn as nn
import torchvision
from mmpretrain.models.backbones import ShuffleNetV1 as MMPretrainShuffleNetV1
from mmpretrain.models.backbones import ShuffleNetV2 as MMPretrainShuffleNetV2
from torch.nn.modules.batchnorm import _BatchNorm

from ..deploy.export import OPSET
from ..deploy.quantize import quantize_feeds
from ..models import ShuffleNetV1, ShuffleNetV2
from ..models.backbones import BaseShuffleNet
from ..models.layers import ShuffleV2Unit, channel_shuffle
from ..weights.torchvision import convert
from .benchmark import (EAGER, Timing, add_deploy_args, add_timing_args,
                        interleaved_rates, new_report, open_session, ratios_to,
                        report_header, runtime_versions, runtimes,
                        start_timing, summarise, write_report)

# (label, input shape N, C, H, W)
CASES = [('224x224, batch 1', (1, 3, 224, 224)),
         ('224x224, batch 32', (32, 3, 224, 224)),
         ('800x1200, batch 1', (1, 3, 800, 1200))]
TORCHVISION_V2 = {0.5: 'shufflenet_v2_x0_5', 1.0: 'shufflenet_v2_x1_0',
                  1.5: 'shufflenet_v2_x1_5', 2.0: 'shufflenet_v2_x2_0'}
# CPU always; CUDA as well where there is a GPU (not tried on the development
# machine, which has none)
DEVICES = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])
SETTINGS = {'full': Timing(3, 10, 0.5), 'quick': Timing(1, 5, 0.2)}
OURS = 'ours'
TORCHVISION = 'torchvision'
TORCHVISION_CL = 'torchvision, channels-last'
OURS_NCHW = 'ours, channels_last=False (NCHW throughout)'
# largest difference from the reference, as a fraction of a feature map's peak
EXACT_TOLERANCE = 1e-5
DEPLOY_TOLERANCE = 1e-4
# runtime rows: ShuffleNetV2 at this width; the peer of every runtime row
RUNTIME_WIDTH = 1.0
RUNTIME_PEER = f'{OURS}, {EAGER} (timed with the runtimes)'
CALIB_BATCHES = 4
# largest output difference of an FP32 file from PyTorch eager (of a map's peak):
# kernels that sum in another order
RUNTIME_FP32_TOLERANCE = 1e-3


class Variant(NamedTuple):
    model: nn.Module
    peer: Optional[str]  # the variant its ratio is taken against
    tolerance: float = EXACT_TOLERANCE


class TorchvisionFeatures(nn.Module):
    """torchvision's ShuffleNetV2 up to conv5, returning the maps of stages 2-4 and
    conv5 like the backbones (its pooling and FC are not run)."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        x = self.net.maxpool(self.net.conv1(x))
        outs = []
        for layer in (self.net.stage2, self.net.stage3, self.net.stage4,
                      self.net.conv5):
            x = layer(x)
            outs.append(x)
        return tuple(outs)


def calibrate_bn(model: nn.Module) -> nn.Module:
    """Set every BN's running statistics to those of one random batch (with random
    affine parameters) and return the model in eval mode."""
    saved = {}
    for m in model.modules():
        if isinstance(m, _BatchNorm):
            saved[m] = m.momentum
            m.momentum = 1.0
            nn.init.uniform_(m.weight, 0.5, 1.5)
            nn.init.uniform_(m.bias, -0.5, 0.5)
    # not chained: mmpretrain's train() returns None
    model.train()
    with torch.no_grad():
        model(torch.rand(8, 3, 224, 224))
    for m, momentum in saved.items():
        m.momentum = momentum
    model.eval()
    return model


def channels_last(model: nn.Module) -> nn.Module:
    """The model with channels-last weights, fed channels-last inputs."""
    return ChannelsLastInput(copy.deepcopy(model).to(memory_format=torch.channels_last))


class ChannelsLastInput(nn.Module):

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        return self.net(x.contiguous(memory_format=torch.channels_last))


def deployed(model: BaseShuffleNet) -> BaseShuffleNet:
    model = copy.deepcopy(model)
    model.switch_to_deploy()
    return model


def _cat_then_shuffle(self, x: torch.Tensor) -> torch.Tensor:
    """ShuffleV2Unit's forward as it was before concat_shuffle (ablation only)."""
    if self.split:
        half = x.shape[1] // 2
        out = torch.cat((x[:, :half], self.branch2(x[:, half:])), dim=1)
    else:
        out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
    return channel_shuffle(out, 2)


def without_concat_shuffle(model: BaseShuffleNet) -> BaseShuffleNet:
    """Ablation: ours with a separate cat and shuffle (with ``channels_last=False``
    the same operations as torchvision's model)."""
    model = copy.deepcopy(model)
    for unit in model.modules():
        if isinstance(unit, ShuffleV2Unit):
            unit._forward = types.MethodType(_cat_then_shuffle, unit)
    return model


def v2_models(width: float) -> Dict[str, Variant]:
    source = calibrate_bn(getattr(torchvision.models, TORCHVISION_V2[width])())
    prefix = 'backbone.'
    state = {
        k[len(prefix):]: v
        for k, v in convert(source.state_dict()).items() if k.startswith(prefix)
    }
    ours = ShuffleNetV2(widen_factor=width, out_indices=(0, 1, 2, 3))
    ours_nchw = ShuffleNetV2(widen_factor=width, out_indices=(0, 1, 2, 3),
                             channels_last=False)
    mmpretrain_model = MMPretrainShuffleNetV2(widen_factor=width,
                                              out_indices=(0, 1, 2, 3))
    for model in (ours, ours_nchw, mmpretrain_model):
        model.load_state_dict(state)
        model.eval()
    torchvision_model = TorchvisionFeatures(source).eval()
    return {
        TORCHVISION: Variant(torchvision_model, None),
        'mmpretrain': Variant(mmpretrain_model, TORCHVISION),
        OURS: Variant(ours, TORCHVISION),
        OURS_NCHW: Variant(ours_nchw, TORCHVISION),
        'ours, channels_last=False, without concat_shuffle (ablation)': Variant(
            without_concat_shuffle(ours_nchw), TORCHVISION),
        'ours, deploy (BN folded)': Variant(deployed(ours), TORCHVISION,
                                            DEPLOY_TOLERANCE),
        # the same layout as ours as built on CPU
        TORCHVISION_CL: Variant(channels_last(torchvision_model), TORCHVISION),
        'ours, against torchvision channels-last': Variant(ours, TORCHVISION_CL),
        'ours, deploy, against torchvision channels-last': Variant(
            deployed(ours), TORCHVISION_CL, DEPLOY_TOLERANCE),
    }


def v1_models() -> Dict[str, Variant]:
    source = calibrate_bn(MMPretrainShuffleNetV1(groups=3, out_indices=(0, 1, 2)))
    ours = ShuffleNetV1(groups=3, out_indices=(0, 1, 2))
    ours_nchw = ShuffleNetV1(groups=3, out_indices=(0, 1, 2), channels_last=False)
    for model in (ours, ours_nchw):
        model.load_state_dict(source.state_dict())
        model.eval()
    return {
        'mmpretrain': Variant(source, None),
        OURS: Variant(ours, 'mmpretrain'),
        OURS_NCHW: Variant(ours_nchw, 'mmpretrain'),
        'ours, deploy (BN folded)': Variant(deployed(ours), 'mmpretrain',
                                            DEPLOY_TOLERANCE),
    }


def check_outputs(variants: Dict[str, Variant]) -> Dict[str, float]:
    """Largest difference of each variant's feature maps from the reference's
    (the first variant), as a fraction of that map's largest magnitude; raises if
    one exceeds the variant's tolerance."""
    x = torch.rand(2, 3, 224, 224)
    names = list(variants)
    with torch.inference_mode():
        expected = variants[names[0]].model(x)
        diffs = {}
        for name in names[1:]:
            outs = variants[name].model(x)
            assert len(outs) == len(expected), name
            diffs[name] = max(((o - e).abs().max() / e.abs().max()).item()
                              for o, e in zip(outs, expected))
            if diffs[name] > variants[name].tolerance:
                raise AssertionError(
                    f'{name} differs from {names[0]} by {diffs[name]:.2e} of a '
                    f'feature map\'s peak (allowed: {variants[name].tolerance})')
    return diffs


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


def runtime_summary(report: dict) -> List[str]:
    """The runtime rows' ratios: a row per runtime, a column per input."""
    rows = [r for r in report.get('runtime_results', []) if r['peer']]
    if not rows:
        return []
    inputs = list(dict.fromkeys(r['input'] for r in rows))
    ratios = {(r['implementation'], r['input']): r['ratio'] for r in rows}
    diffs = {}
    for r in rows:
        diffs[r['implementation']] = max(diffs.get(r['implementation'], 0.0),
                                         r['output_difference'])
    lines = [
        f"{rows[0]['backbone']} exported to ONNX (static shape per input) in the "
        f"runtimes, {rows[0]['threads']} thread(s), images / second as a ratio "
        f'to {RUNTIME_PEER}. INT8: static QDQ calibrated on random inputs. '
        'The INT8 output differences say nothing about accuracy: these '
        'random-weight models amplify any rounding (see the script).', '',
        '| Runtime | ' + ' | '.join(inputs) +
        f' | largest output difference from {EAGER} (of a map\'s peak) |',
        '|:---|' + '---:|' * len(inputs) + '---:|'
    ]
    for name, diff in diffs.items():
        cells = ' | '.join('' if (name, i) not in ratios else
                           f'{ratios[name, i]:.2f}' for i in inputs)
        lines.append(f'| {name} | {cells} | {diff:.1e} |')
    return lines + ['']


def ratio_summary(report: dict) -> List[str]:
    """Per family, the ratios alone: a row per variant, a column per input, and
    each variant's largest output difference."""
    lines = []
    for family, parity in report['parity'].items():
        rows = [r for r in report['results'] if r['backbone'] == family]
        inputs = list(dict.fromkeys(r['input'] for r in rows))
        ratios = {(r['implementation'], r['input']): r['ratio'] for r in rows}
        peers = {r['implementation']: r['peer'] for r in rows if r['peer']}
        lines += [
            f'{family}, images / second as a ratio to the peer\'s:', '',
            '| Implementation | against | ' + ' | '.join(inputs) +
            f" | largest output difference from {rows[0]['implementation']} "
            "(of a map's peak) |",
            '|:---|:---|' + '---:|' * len(inputs) + '---:|'
        ]
        for name, peer in peers.items():
            cells = ' | '.join(f'{ratios[name, i]:.2f}' for i in inputs)
            lines.append(f'| {name} | {peer} | {cells} | {parity[name]:.1e} |')
        lines.append('')
    return lines


def to_markdown(report: dict) -> str:
    settings = report['settings']
    lines = report_header(report, 'Backbone throughput') + [
        f"{settings['rounds']} rounds after {settings['warmup']} warm-up pass(es) "
        'per model and input.', ''
    ] + ratio_summary(report) + runtime_summary(report) + [
        'All figures:', '',
        '| Backbone | Input | Implementation | img/s (median) | IQR | min - max '
        '| Ratio | against |',
        '|:---|:---|:---|---:|---:|---:|---:|:---|'
    ]
    for r in report['results'] + report.get('runtime_results', []):
        ratio = '' if r['ratio'] is None else f"{r['ratio']:.2f}"
        lines.append(f"| {r['backbone']} | {r['input']} | {r['implementation']} | "
                     f"{r['median']:.1f} | {r['q1']:.1f} - {r['q3']:.1f} | "
                     f"{r['min']:.1f} - {r['max']:.1f} | {ratio} | "
                     f"{r['peer'] or ''} |")
    return '\n'.join(lines) + '\n'


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_timing_args(parser)
    parser.add_argument('--v2-widths', type=float, nargs='+', default=[1.0],
                        choices=sorted(TORCHVISION_V2),
                        help='ShuffleNetV2 widths to compare (default: 1.0)')
    add_deploy_args(parser, 'ShuffleNetV2 1x in onnxruntime and OpenVINO, FP32 '
                    'and INT8')
    args = parser.parse_args(argv)

    timing = start_timing(args, SETTINGS)
    families = {f'ShuffleNetV2 {w}x': lambda w=w: v2_models(w) for w in args.v2_widths}
    families['ShuffleNetV1 g=3 1.0x'] = v1_models
    if args.deploy_only:
        families = {}

    report = new_report(
        'backbone',
        dict(torchvision=torchvision.__version__, mmpretrain=mmpretrain.__version__,
             **runtime_versions()), timing)
    report.update(parity={}, results=[], runtime_results=[])
    for family, build in families.items():
        variants = build()
        report['parity'][family] = check_outputs(variants)
        for device in DEVICES:
            on_device = variants if device == 'cpu' else {
                name: v._replace(model=copy.deepcopy(v.model).to(device))
                for name, v in variants.items()
            }
            for label, shape in CASES:
                time_case(report, family, on_device, device, label, shape, timing)
    if not args.skip_deploy:
        measure_runtimes(report, timing, args.threads)
    write_report(report, to_markdown, args.out_dir)
