"""The detector benchmark's training-memory rows: one training step per detector
and with_cp setting, each in a fresh process (peak resident memory on CPU)."""
import json
import os
import subprocess
import sys
from typing import Sequence, Tuple

import torch
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope

from .detector_benchmark import (DETECTORS, HEIGHT, WIDTH, build_detector,
                                 images)

MEMORY_BATCH = 2


# glibc's malloc keeps freed memory below its mmap threshold (up to 32 MiB by
# default, adapted at run time) for reuse, which made the peak resident memory of
# the same step vary by 10% from run to run; mapping every block above 64 KiB
# separately returns it when freed, and the peaks repeat to 0.1 MiB.
# the command that runs memory_worker in a fresh process
WORKER = 'shufflenet_backbones.toolkit.cli.benchmarks.benchmark_detector'
MALLOC_ENV = dict(os.environ, MALLOC_MMAP_THRESHOLD_='65536',
                  MALLOC_TRIM_THRESHOLD_='0')


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
                [sys.executable, '-m', WORKER, '--memory-worker', detector,
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
