"""Report files of the measurements (FLOPs, benchmarks): what was run, when and on
which machine, as JSON beside its Markdown, so that the performance doc is
rendered from files rather than copied by hand."""
import datetime
import json
import os
import platform
import shlex
import sys
from pathlib import Path
from typing import Callable, Dict, List, NamedTuple, Optional

import torch

__all__ = ['new_report', 'report_header', 'write_report']


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
               timing: Optional[NamedTuple] = None) -> dict:
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
