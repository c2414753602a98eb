"""The detector benchmark's report as Markdown."""
from typing import List

from ..analysis.reports import report_header
from .detector_benchmark import HEIGHT, WIDTH
from .detector_deploy import CALIB_IMAGES
from .detector_memory import MEMORY_BATCH


def _deploy_markdown(report: dict) -> List[str]:
    rows, thundernet = report.get('deploy', []), report.get('thundernet', [])
    if not rows:
        return []
    settings = report['settings']
    lines = [
        'Deployment, end to end per image (preprocessing, model, NMS; random '
        'weights): PyTorch eager `test_step` beside the exported ONNX file run '
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


def to_markdown(report: dict) -> str:
    settings = report['settings']
    lines = report_header(report, 'Detector inference and training memory')
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
