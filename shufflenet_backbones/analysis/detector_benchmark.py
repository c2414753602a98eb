"""Light-Head R-CNN beside Faster R-CNN + FPN on the same ShuffleNetV2 1x backbone:
inference speed, and peak training memory with and without ``with_cp``.

    python tools/analysis/benchmark_detector.py [--threads 2] [--quick]
        [--skip-memory] [--out-dir work_dirs/benchmarks]

Speed: images / second of ``model.test_step`` (data preprocessing, backbone,
heads and post-processing with NMS) on random 800x1200 images, batch 1 and 4,
eval mode, on the GPU where there is one (not tried here) and on CPU otherwise,
the detectors interleaved in rounds as in benchmark_backbone.py. Also Light-Head
R-CNN with its backbone switched to deploy mode (BN folded), and with the
backbone's ``channels_last=False`` (NCHW throughout; the default 'auto' runs it
channels-last on CPU). The detectors are the
configs in configs/det/ with random weights (no ImageNet or COCO weights here): the
RPN keeps its full 1000 proposals per image, so the R-CNN heads do their full work,
but random classifiers keep few boxes above the 0.05 score threshold, so the final
per-class NMS is cheaper than with trained weights.

Memory: one training step (forward, backward, SGD update) of each detector at
800x1200, batch 2, each setting in its own process. On CPU the figure is the peak
resident memory of the process during the step (VmHWM, reset just before it) minus
its resident memory just before it (model, optimizer and data already built), with
glibc's malloc set to return freed blocks (see ``MALLOC_ENV``); on CUDA it is
``torch.cuda.max_memory_allocated`` over the step. ``with_cp`` checkpoints the
backbone's units; the ratio with / without says what it saves.

Writes ``detector_<date>.json`` and ``.md`` to ``--out-dir`` and prints the table.
"""
import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Callable, Optional, Sequence, Tuple

import mmdet
import torch
import torch.nn as nn
from mmdet.registry import MODELS
from mmdet.testing import demo_mm_inputs
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope

from .benchmark import (Timing, add_timing_args, interleaved_rates, new_report,
                        report_header, start_timing, summarise, write_report)

# the repository's configs (the package is installed in editable mode)
CONFIGS = Path(__file__).resolve().parents[2] / 'configs' / 'det'
DETECTORS = {
    'Light-Head R-CNN': CONFIGS / 'lighthead_shufflenetv2.py',
    'Faster R-CNN + FPN': CONFIGS / 'faster_rcnn_fpn_shufflenetv2.py',
}
LIGHT_HEAD, FASTER = DETECTORS
NCHW_BACKBONE = 'NCHW backbone (channels_last=False)'
HEIGHT, WIDTH = 800, 1200  # the papers' detection size
SPEED_BATCHES = (1, 4)
MEMORY_BATCH = 2
# glibc's malloc keeps freed memory below its mmap threshold (up to 32 MiB by
# default, adapted at run time) for reuse, which made the peak resident memory of
# the same step vary by 10% from run to run; mapping every block above 64 KiB
# separately returns it when freed, and the peaks repeat to 0.1 MiB.
MALLOC_ENV = dict(os.environ, MALLOC_MMAP_THRESHOLD_='65536',
                  MALLOC_TRIM_THRESHOLD_='0')
SETTINGS = {'full': Timing(2, 7, 2.0), 'quick': Timing(1, 3, 0.5)}


def build_detector(config: Path, **backbone_options) -> Tuple[nn.Module, Config]:
    cfg = Config.fromfile(config)
    cfg.model.backbone.init_cfg = None  # no ImageNet weights needed to time it
    cfg.model.backbone.update(backbone_options)
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(cfg.model)
    # PyTorch's default init: timings and memory do not depend on the init, and
    # init_weights() would log every parameter
    return model, cfg


def images(batch: int, num_boxes: int = 0,
           size: Optional[Tuple[int, int]] = None) -> dict:
    """Random images of ``size`` (default 800x1200) with ``num_boxes`` random boxes
    each, packed as a dataloader packs them."""
    height, width = size or (HEIGHT, WIDTH)
    return demo_mm_inputs(batch, [[3, height, width]] * batch,
                          num_items=[num_boxes] * batch)


def test_step(model: nn.Module, packed: dict) -> Callable[[], int]:

    def run() -> int:
        model.test_step(packed)
        return len(packed['inputs'])

    return run


def measure_speed(report: dict, timing: Timing) -> None:
    detectors = {name: build_detector(path)[0].eval()
                 for name, path in DETECTORS.items()}
    deployed = copy.deepcopy(detectors[LIGHT_HEAD])
    deployed.backbone.switch_to_deploy()
    detectors[f'{LIGHT_HEAD}, deploy backbone'] = deployed
    nchw, _ = build_detector(DETECTORS[LIGHT_HEAD], channels_last=False)
    nchw.load_state_dict(detectors[LIGHT_HEAD].state_dict())
    detectors[f'{LIGHT_HEAD}, {NCHW_BACKBONE}'] = nchw.eval()
    if torch.cuda.is_available():  # the data preprocessor follows the model
        detectors = {name: model.cuda() for name, model in detectors.items()}
    for batch in SPEED_BATCHES:
        packed = images(batch)
        with torch.inference_mode():
            passes, rates = interleaved_rates(
                {name: test_step(model, packed) for name, model in detectors.items()},
                timing)
        faster = statistics.median(rates[FASTER])
        for name, per_round in rates.items():
            row = dict(detector=name, input=f'{HEIGHT}x{WIDTH}, batch {batch}',
                       device='cuda' if torch.cuda.is_available() else 'cpu',
                       passes_per_round=passes, **summarise(per_round))
            row['ratio_to_faster_rcnn'] = row['median'] / faster
            report['speed'].append(row)
        print(f'batch {batch}: ' + ', '.join(
            f'{n} {statistics.median(r):.2f} img/s' for n, r in rates.items()),
            flush=True)


def _status_mib(field: str) -> float:
    """A memory figure of this process from /proc/self/status, in MiB."""
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1]) / 1024  # given in kB
    raise RuntimeError(f'no {field} in /proc/self/status')


def memory_worker(detector: str, with_cp: bool,
                  size: Tuple[int, int] = (HEIGHT, WIDTH)) -> dict:
    """One training step in this process; its peak memory in MiB."""
    model, cfg = build_detector(DETECTORS[detector], with_cp=with_cp)
    cuda = torch.cuda.is_available()
    if cuda:
        model.cuda()
    model.train()
    with DefaultScope.overwrite_default_scope('mmdet'):
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    packed = images(MEMORY_BATCH, num_boxes=5, size=size)
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated() / 2**20
    else:
        before = _status_mib('VmRSS')
        # Reset the peak (VmHWM) to the current resident memory. (getrusage's
        # ru_maxrss would not do: a child starts with its parent's peak.)
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
    model.train_step(packed, optim_wrapper)
    if cuda:
        peak = torch.cuda.max_memory_allocated() / 2**20
    else:
        peak = _status_mib('VmHWM')
    return dict(detector=detector, with_cp=with_cp,
                device='cuda' if cuda else 'cpu', before_mib=before,
                peak_mib=peak, step_peak_mib=peak - before)


def measure_memory(report: dict, threads: int,
                   size: Tuple[int, int] = (HEIGHT, WIDTH),
                   detectors: Sequence[str] = tuple(DETECTORS)) -> None:
    for detector in detectors:
        rows = {}
        for with_cp in (False, True):
            out = subprocess.run(
                [sys.executable, '-m', __name__, '--memory-worker', detector,
                 '--threads', str(threads), '--memory-size', *map(str, size)] +
                (['--with-cp'] if with_cp else []),
                capture_output=True, text=True, check=False, env=MALLOC_ENV)
            if out.returncode:
                raise RuntimeError(f'memory run of {detector} (with_cp={with_cp}) '
                                   f'failed:\n{out.stderr[-3000:]}')
            rows[with_cp] = json.loads(out.stdout.strip().splitlines()[-1])
            report['memory'].append(rows[with_cp])
        rows[True]['ratio_to_without'] = (rows[True]['step_peak_mib'] /
                                          rows[False]['step_peak_mib'])
        print(f"{detector}: training step peak {rows[False]['step_peak_mib']:.0f} "
              f"MiB without with_cp, {rows[True]['step_peak_mib']:.0f} MiB with "
              f"({rows[True]['ratio_to_without']:.2f}x)", flush=True)


def to_markdown(report: dict) -> str:
    settings = report['settings']
    lines = report_header(report, 'Detector inference and training memory')
    if report['speed']:
        lines += [
            f"Inference (`test_step`, random weights), {settings['rounds']} rounds "
            f"after {settings['warmup']} warm-up pass(es):", '',
            '| Detector | Input | img/s (median) | IQR | min - max '
            '| vs Faster R-CNN + FPN |', '|:---|:---|---:|---:|---:|---:|'
        ]
        for r in report['speed']:
            lines.append(
                f"| {r['detector']} | {r['input']}, {r['device']} | "
                f"{r['median']:.2f} | "
                f"{r['q1']:.2f} - {r['q3']:.2f} | {r['min']:.2f} - {r['max']:.2f} "
                f"| **{r['ratio_to_faster_rcnn']:.2f}** |")
        lines.append('')
    if report['memory']:
        lines += [
            f'Peak memory of one training step, {HEIGHT}x{WIDTH}, batch '
            f'{MEMORY_BATCH} (MiB above what the process held before the step):',
            '', '| Detector | with_cp | Device | Step peak (MiB) | with / without |',
            '|:---|:---|:---|---:|---:|'
        ]
        for r in report['memory']:
            ratio = r.get('ratio_to_without')
            lines.append(f"| {r['detector']} | {r['with_cp']} | {r['device']} | "
                         f"{r['step_peak_mib']:.0f} | "
                         f"{'' if ratio is None else f'**{ratio:.2f}**'} |")
    return '\n'.join(lines) + '\n'


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_timing_args(parser)
    parser.add_argument('--skip-memory', action='store_true',
                        help='time inference only')
    # internal: one memory measurement in a fresh process
    parser.add_argument('--memory-worker', choices=list(DETECTORS),
                        help=argparse.SUPPRESS)
    parser.add_argument('--with-cp', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--memory-size', type=int, nargs=2, default=(HEIGHT, WIDTH),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    timing = start_timing(args, SETTINGS)
    if args.memory_worker:
        print(json.dumps(memory_worker(args.memory_worker, args.with_cp,
                                       tuple(args.memory_size))))
        return
    report = new_report('detector', dict(mmdet=mmdet.__version__), timing)
    report.update(speed=[], memory=[])
    measure_speed(report, timing)
    if not args.skip_memory:
        measure_memory(report, args.threads)
    write_report(report, to_markdown, args.out_dir)


if __name__ == '__main__':
    main()
