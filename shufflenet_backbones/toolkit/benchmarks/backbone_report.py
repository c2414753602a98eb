"""The backbone benchmark's report as Markdown: throughput tables, the ratios to the
peers, and the deployment rows."""
from typing import List

from ..analysis.reports import report_header
from .backbone_benchmark import RUNTIME_PEER
from .timing import EAGER


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
