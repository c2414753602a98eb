"""The detector benchmark's report as Markdown."""
from typing import List

from ..analysis.reports import report_header
from .detector_benchmark import HEIGHT, WIDTH
from .detector_deploy import CALIB_IMAGES
from .detector_memory import MEMORY_BATCH
from .timing import EAGER as EAGER_LABEL


def _profile_cell(cell: dict) -> str:
    text = f"{cell['ms']:.1f} ({cell['share']:.0%})"
    if cell.get('roofline') is not None:
        text += f"; **{cell['roofline']:.0%}** of roofline"
    return text


def _profile_markdown(report: dict) -> List[str]:
    profiles = report.get('profiles', [])
    if not profiles:
        return []
    lines = [
        'Where the time goes, per image (`shufflenet_backbones/toolkit/benchmarks/'
        'stage_profile.py`): milliseconds per stage and their share of the '
        'profiled pass -- PyTorch eager from the PyTorch profiler, the runtimes '
        "from onnxruntime's profiler and OpenVINO's performance counters (each "
        'node in the stage of its module scope; profiled passes run slower than '
        'timed ones). Multiply-adds: convs and FCs at the graph\'s RoI count; '
        'roofline: the stage\'s multiply-adds per second as a share of one '
        'dense 3x3 conv\'s (256 channels, 64x64) on the same threads here.', ''
    ]
    for profile in profiles:
        columns = list(profile['rows'][0]['columns'])
        lines += [
            f"{profile['detector']}, {profile['input']}, {profile['threads']} "
            f"thread(s), {profile['weights']} weights, {profile['passes']} passes; "
            f"dense conv {profile['dense_gmacs_per_s']:.1f} GMAC/s:", '',
            '| Stage | MMACs | ' + ' | '.join(columns) + ' |',
            '|:---|---:|' + '---:|' * len(columns)
        ]
        for row in profile['rows']:
            mmacs = f"{row['mmacs']:.0f}" if row['mmacs'] else ''
            lines.append(f"| {row['stage']} | {mmacs} | " + ' | '.join(
                _profile_cell(row['columns'][c]) for c in columns) + ' |')
        totals = [sum(r['columns'][c]['ms'] for r in profile['rows'])
                  for c in columns]
        lines.append('| total (profiled) | | ' +
                     ' | '.join(f'{t:.1f}' for t in totals) + ' |')
        lines.append('')
    return lines


def _trained_markdown(report: dict) -> List[str]:
    runs = report.get('trained', [])
    if not runs:
        return []
    settings = report['settings']
    lines = [
        'Deployment with trained weights (Light-Head R-CNN trained briefly from '
        'random init on generated shapes at the benchmark\'s size, '
        '`shufflenet_backbones/toolkit/benchmarks/trained_detectors.py`), end to '
        'end per image on its validation images: each runtime timed interleaved '
        'with PyTorch eager alone, in '
        f"{runs[0]['processes']} fresh processes one after another "
        f"({settings['rounds']} rounds each after {settings['warmup']} warm-up "
        'pass(es)); the ratio is the median over the processes, with their min '
        'and max. bbox mAP: `tools/test.py` on the same validation images.', '',
        '| Detector | Input | Threads | Runtime | img/s (median) | vs PyTorch eager '
        '(median) | min - max over processes | bbox mAP | vs PyTorch |',
        '|:---|:---|---:|:---|---:|---:|---:|---:|---:|'
    ]
    for run in runs:
        eager = run['rows'][0]['eager']['median'] if run['rows'] else 0.
        lines.append(f"| {run['detector']} | {run['input']} | {run['threads']} | "
                     f"{EAGER_LABEL} | {eager:.2f} | | | "
                     f"{run['eager_bbox_mAP']:.3f} | |")
        for r in run['rows']:
            ratio = r['ratio_to_eager']
            lines.append(
                f"| | | | {r['runtime']} | {r['deployed']['median']:.2f} | "
                f"**{ratio['median']:.2f}** | {ratio['min']:.2f} - "
                f"{ratio['max']:.2f} | {r['bbox_mAP']:.3f} | "
                f"{r['bbox_mAP'] - run['eager_bbox_mAP']:+.3f} |")
    lines.append('')
    return lines + _eager_nms_markdown(runs)


def _eager_nms_markdown(runs: List[dict]) -> List[str]:
    runs = [run for run in runs if run.get('eager_nms')]
    if not runs:
        return []
    lines = [
        "PyTorch eager's proposal NMS, stopped once `max_per_img` boxes are kept "
        "(`SelectRPNHead`), against mmdet's over all `nms_pre` boxes: the same "
        'model timed both ways interleaved in each of the processes above '
        '(median over the processes, min and max), and their detections compared '
        'on every validation image.', '',
        "| Detector | Input | img/s | img/s, mmdet's NMS | speed-up (median) | "
        'min - max over processes | identical detections |',
        '|:---|:---|---:|---:|---:|---:|---:|'
    ]
    for run in runs:
        nms = run['eager_nms']
        lines.append(
            f"| {run['detector']} | {run['input']} | {nms['eager']['median']:.2f} | "
            f"{nms['mmdet']['median']:.2f} | **{nms['speedup']['median']:.2f}x** | "
            f"{nms['speedup']['min']:.2f} - {nms['speedup']['max']:.2f} | "
            f"{nms['identical_images']} of {nms['images']} images |")
    lines.append('')
    return lines


def _deploy_markdown(report: dict) -> List[str]:
    rows, thundernet = report.get('deploy', []), report.get('thundernet', [])
    if not rows:
        return []
    settings = report['settings']
    lines = [
        'Deployment with random weights, the worst case for PyTorch eager (its '
        'NMS works on what passes the score thresholds; the ratios vary with the '
        'weight draw), end to end per image (preprocessing, model, NMS): '
        'PyTorch eager `test_step` beside the exported ONNX file run '
        'as tools/test.py runs it, in the same interleaved rounds '
        f"({settings['rounds']}, after {settings['warmup']} warm-up pass(es)). "
        'INT8: static QDQ, per-channel, calibrated on '
        f"{report.get('calib_images', CALIB_IMAGES)} random-pixel images (timing "
        'does not depend on the calibration). ThunderNet: the configs\' soft-NMS '
        'in the R-CNN, and plain NMS, in every runtime alike. Detections: boxes '
        'kept for the timed image.', '',
        '| Detector | Input | Threads | Runtime | img/s (median) | IQR '
        '| min - max | vs PyTorch eager | Detections |',
        '|:---|:---|---:|:---|---:|---:|---:|---:|---:|'
    ]
    for r in rows:
        lines.append(
            f"| {r['detector']} | {r['input']} | {r['threads']} | {r['runtime']} | "
            f"{r['median']:.2f} | {r['q1']:.2f} - {r['q3']:.2f} | "
            f"{r['min']:.2f} - {r['max']:.2f} | **{r['ratio_to_eager']:.2f}** | "
            f"{r['detections']} |")
    lines.append('')
    if thundernet:
        lines += [
            'ThunderNet on one thread beside the paper (trained models on a Xeon '
            'E5-2682v4 thread: another CPU, compare magnitudes only). MFLOPs: '
            'multiply-adds of convs and FCs, 200 RoIs, as the papers count; the '
            "paper's MFLOPs are unverified (not in REFERENCE.md).", '',
            '| Detector, R-CNN NMS | Input, threads | PyTorch eager img/s '
            '| Best runtime | its img/s | vs eager | Paper img/s | MFLOPs '
            '| Paper MFLOPs (unverified) |',
            '|:---|:---|---:|:---|---:|---:|---:|---:|---:|'
        ]
        for r in thundernet:
            paper_speed, paper_flops = r['paper_images_per_s'], r['paper_mflops']
            lines.append(
                f"| {r['detector']} | {r['input']}, {r['threads']} thread(s) | "
                f"{r['eager']:.2f} | {r['best_runtime']} | "
                f"{r['best_runtime_median']:.2f} | "
                f"**{r['best_ratio_to_eager']:.2f}** | "
                f"{'' if paper_speed is None else f'~{paper_speed}'} | "
                f"{r['mflops']:.0f} | "
                f"{'' if paper_flops is None else f'{paper_flops}?'} |")
        lines.append('')
    return lines


def profile_and_trained_markdown(report: dict) -> str:
    """The per-stage profiles and the trained-weight rows alone, under the
    report's header: what leads docs/performance.md."""
    lines = report_header(report, 'Where the time goes, and trained-weight speed')
    return '\n'.join(lines + _profile_markdown(report) +
                     _trained_markdown(report)) + '\n'


def to_markdown(report: dict) -> str:
    settings = report['settings']
    lines = report_header(report, 'Detector inference and training memory')
    # first: where the time goes, then the figures users will see
    lines += _profile_markdown(report)
    lines += _trained_markdown(report)
    if report.get('speed'):
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
    lines += _deploy_markdown(report)
    if report.get('memory'):
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
