"""What the benchmark scripts in tools/analysis share: their timing options,
interleaved timing, the summary of the rounds, a description of the machine, the
report files, and the deployment runtimes that the deployment rows time."""
import argparse
import datetime
import json
import os
import platform
import shlex
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, NamedTuple, Optional, Tuple

import numpy as np
import torch

from ..deploy.runtime import (BackendUnavailableError, InferenceSession,
                              import_backend)

__all__ = [
    'Timing', 'add_timing_args', 'start_timing', 'interleaved_rates', 'summarise',
    'new_report', 'write_report', 'report_header', 'EAGER', 'Runtime', 'runtimes',
    'runtime_versions', 'open_session', 'write_random_images',
    'ratios_to'
]


class Timing(NamedTuple):
    warmup: int  # passes per entry before timing
    rounds: int
    target_seconds: float  # per entry and round


def add_timing_args(parser: argparse.ArgumentParser) -> None:
    """``--threads``, ``--quick`` and ``--out-dir``."""
    parser.add_argument('--threads', type=int, default=2,
                        help='intra-op threads (default: 2)')
    parser.add_argument('--quick', action='store_true',
                        help='fewer warm-up passes and rounds, shorter rounds')
    parser.add_argument('--out-dir', type=Path, default=Path('work_dirs/benchmarks'),
                        help='where the JSON and Markdown reports go')


def add_deploy_args(parser: argparse.ArgumentParser, rows: str) -> None:
    """``--deploy-only`` / ``--skip-deploy``: the runtime rows (``rows`` says
    which) alone, or none of them."""
    deploy = parser.add_mutually_exclusive_group()
    deploy.add_argument('--deploy-only', action='store_true',
                        help=f'only the runtime rows ({rows}, beside PyTorch '
                        'eager)')
    deploy.add_argument('--skip-deploy', action='store_true',
                        help='no runtime rows')


def start_timing(args: argparse.Namespace, settings: Dict[str, Timing]) -> Timing:
    """Fix the thread count and the seed; the ``'quick'`` or ``'full'`` settings
    as ``--quick`` asks."""
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    return settings['quick' if args.quick else 'full']


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


def _machine(versions: Dict[str, str]) -> dict:
    cpu = platform.processor()
    cpuinfo = Path('/proc/cpuinfo')
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith('model name'):
                cpu = line.split(':', 1)[1].strip()
                break
    return dict(platform=platform.platform(), python=platform.python_version(),
                cpu=cpu, cpu_count=os.cpu_count(),
                # other work on the machine shows up here and in the spreads
                load_average=[round(v, 2) for v in os.getloadavg()],
                threads=torch.get_num_threads(),
                versions=dict(torch=torch.__version__, **versions))


def new_report(kind: str, versions: Dict[str, str],
               timing: Optional[Timing] = None) -> dict:
    """The common part of a benchmark report: what, when, how (the timing
    settings and threads of a timed run) and where."""
    settings = {} if timing is None else dict(timing._asdict(),
                                              threads=torch.get_num_threads())
    now = datetime.datetime.now()
    return dict(kind=kind, date=now.isoformat(timespec='seconds'),
                command=' '.join(shlex.quote(a) for a in ['python', *sys.argv]),
                machine=_machine(versions), settings=settings)


def report_header(report: dict, title: str, timed: bool = True) -> List[str]:
    """Markdown lines naming the date, command and machine; for timings also the
    threads and load, with a warning when other work competed for the CPUs."""
    m = report['machine']
    versions = ', '.join(f'{k} {v}' for k, v in m['versions'].items())
    machine = f"{m['cpu']} ({m['cpu_count']} CPUs), {versions}"
    if timed:
        machine += (f", {m['threads']} thread(s), load average {m['load_average']} "
                    f"before and {m['load_average_after']} after")
    lines = [f"### {title}, {report['date'][:10]}", '', f"`{report['command']}`", '',
             machine + '.', '']
    if timed and m['load_average'][0] > m['cpu_count'] - m['threads']:
        lines += [
            f"Busy machine: load average {m['load_average'][0]} with "
            f"{m['cpu_count']} CPUs and {m['threads']} threads wanted. Other work "
            'takes CPUs from the benchmark; compare ratios (measured interleaved), '
            'not absolute figures.', ''
        ]
    return lines


def write_report(report: dict, to_markdown: Callable[[dict], str],
                 out_dir: Path) -> Path:
    """Note the load average at the end, write ``<kind>_<date>.json`` and its
    Markdown to ``out_dir`` and print the Markdown; return the JSON path."""
    report['machine']['load_average_after'] = [
        round(v, 2) for v in os.getloadavg()
    ]
    markdown = to_markdown(report)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = report['date'].replace('-', '').replace(':', '').replace('T', '_')
    stem = out_dir / f"{report['kind']}_{stamp}"
    stem.with_suffix('.json').write_text(json.dumps(report, indent=2) + '\n')
    stem.with_suffix('.md').write_text(markdown)
    print('\n' + markdown)
    print(f"wrote {stem.with_suffix('.json')} and {stem.with_suffix('.md')}")
    return stem.with_suffix('.json')


# The deployment rows: PyTorch eager beside the exported model in each runtime, all
# timed in the same interleaved rounds, each runtime's ratio taken to EAGER's median.
# (INT8 files from static QDQ calibration: deploy.quantize.)
EAGER = 'PyTorch eager'


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
