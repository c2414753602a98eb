"""Light-Head R-CNN beside Faster R-CNN + FPN on the same ShuffleNetV2 1x backbone:
inference speed, and peak training memory with and without ``with_cp``.

    python tools/analysis/benchmark_detector.py [--threads 2] [--quick]
        [--skip-memory] [--deploy-only | --skip-deploy] [--calib-images 8]
        [--out-dir work_dirs/benchmarks]

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

Deployment (``--deploy-only`` runs these rows alone, ``--skip-deploy`` skips them):
the detector exported by ``shufflenet_backbones.deploy`` (one ONNX file, standard
ops: normalisation, padding, RPN decoding, NMS, RoI pooling, R-CNN and per-class
NMS in the graph) and run by ``BackendModel`` as ``tools/test.py`` runs it, beside
PyTorch eager ``model.test_step``; both end to end per image: preprocessing
(PyTorch: the data preprocessor; runtimes: laying the image into the input
array), model, NMS, boxes scaled back to the original image. Runtimes:
onnxruntime and OpenVINO, FP32 and INT8 (``deploy.quantize``: static QDQ,
per-channel, calibrated on ``--calib-images`` random-pixel images, enough for
timing, whose speed does not depend on the calibration); OpenVINO in float32 as
``deploy.runtime`` runs it (not the CPU plugin's default bf16). Export and
quantization happen once per detector and size, before timing. Rows, batch 1:

- Light-Head R-CNN at 800x1216 and 320x320, ``--threads`` threads;
- ThunderNet SNet49 and SNet146 at 320x320 on one thread, as the paper times them
  (about 47 and 32 images / s on one Xeon E5-2682v4 thread), with the detector's
  multiply-adds (``analysis.complexity.detector_multiply_adds``, 200 RoIs) beside
  the paper's. Twice: the config as it is, soft-NMS in the R-CNN (the exported
  files as an unrolled loop, ``deploy.graph_ops.grouped_soft_nms_topk``), and
  with plain NMS (``model.test_cfg.rcnn.nms.type='nms'``), same weights, in
  PyTorch and the runtimes alike: what soft-NMS costs.

Every runtime's ratio is its median over PyTorch eager's, timed in the same
interleaved rounds.

Writes ``detector_<date>.json`` and ``.md`` to ``--out-dir`` and prints the table.
"""
import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import mmdet
import torch
import torch.nn as nn
from mmdet.registry import MODELS
from mmdet.testing import demo_mm_inputs
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope

from ..deploy.backend_model import BackendModel
from ..deploy.export import export_model
from ..deploy.quantize import quantize
from .benchmark import (EAGER, Timing, add_deploy_args, add_timing_args,
                        interleaved_rates, new_report, ratios_to,
                        report_header, runtime_versions, runtimes,
                        start_timing, summarise, write_random_images,
                        write_report)
from .complexity import detector_multiply_adds

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
# deployment rows
DEPLOY_SIZES = ((800, 1216), (320, 320))  # the papers' detection size; ThunderNet's
THUNDERNETS = {
    'ThunderNet SNet49': CONFIGS / 'thundernet_snet49_coco.py',
    'ThunderNet SNet146': CONFIGS / 'thundernet_snet146_coco.py',
}
THUNDERNET_SIZE = (320, 320)
THUNDERNET_THREADS = 1
# the paper's images / s on one Xeon E5-2682v4 thread (/work/shared/REFERENCE.md)
# and its MFLOPs (not in REFERENCE.md: unverified)
PAPER_THUNDERNET = {
    'ThunderNet SNet49': dict(images_per_s=47, mflops=262),
    'ThunderNet SNet146': dict(images_per_s=32, mflops=473),
}
# the R-CNN's NMS in the ThunderNet rows: the configs' soft-NMS, and plain NMS
THUNDERNET_NMS = {'soft-NMS': {}, 'NMS': {'model.test_cfg.rcnn.nms.type': 'nms'}}
CALIB_IMAGES = 8


def build_detector(config: Path, cfg_options: Optional[dict] = None,
                   **backbone_options) -> Tuple[nn.Module, Config]:
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
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


def _sized_cfg(cfg: Config, size: Tuple[int, int]) -> Config:
    """``cfg`` with its test pipeline resizing to at most ``size`` (H, W): images
    of that size pass unchanged and fit the exported input (deploy.quantize
    prepares its calibration images with the pipeline stored in the file)."""
    cfg = copy.deepcopy(cfg)
    for step in cfg.test_dataloader.dataset.pipeline:
        if step['type'] in ('Resize', 'mmdet.Resize') and step.get('scale'):
            step['scale'] = (size[1], size[0])
    return cfg


def time_deployed(detector: str, eager: nn.Module, cfg: Config,
                  size: Tuple[int, int], threads: int, timing: Timing,
                  work_dir: Path, calib_images: int) -> List[dict]:
    """Export ``eager`` (built from ``cfg``) at ``size``, quantize it, and time
    ``eager.test_step`` beside the file in every runtime, interleaved, batch 1,
    ``threads`` threads each (the caller sets PyTorch's). One row per entry,
    ratios to PyTorch eager."""
    height, width = size
    stem = work_dir / f"{detector.replace(' ', '_')}_{height}x{width}"
    fp32, int8 = f'{stem}.onnx', f'{stem}_int8.onnx'
    export_model(_sized_cfg(cfg, size), eager, fp32, shape=size)
    calib = write_random_images(Path(f'{stem}_calib'), calib_images, size)
    quantize(fp32, str(calib), int8, calib_images)
    models = {EAGER: eager}
    for runtime in runtimes():
        # as tools/test.py runs an exported file
        models[runtime.label] = BackendModel(int8 if runtime.int8 else fp32,
                                             runtime.backend, threads)
    packed = images(1, size=size)
    # each its own copy: the data preprocessor writes into the data samples
    inputs = {name: copy.deepcopy(packed) for name in models}
    with torch.inference_mode():
        passes, rates = interleaved_rates(
            {name: test_step(model, inputs[name]) for name, model in models.items()},
            timing)
        detections = {name: len(model.test_step(inputs[name])[0].pred_instances)
                      for name, model in models.items()}
    ratios = ratios_to(rates, EAGER)
    # the file each runtime row ran
    files = {name: Path(model.path).name for name, model in models.items()
             if isinstance(model, BackendModel)}
    rows = []
    for name, per_round in rates.items():
        rows.append(dict(detector=detector, input=f'{height}x{width}, batch 1',
                         threads=threads, runtime=name, file=files.get(name),
                         passes_per_round=passes,
                         detections=detections[name], **summarise(per_round),
                         ratio_to_eager=ratios[name]))
    print(f'{detector}, {height}x{width}, {threads} thread(s): ' + ', '.join(
        f"{r['runtime']} {r['median']:.2f} img/s ({r['ratio_to_eager']:.2f}x)"
        for r in rows), flush=True)
    return rows


def measure_deploy(report: dict, timing: Timing, threads: int, work_dir: Path,
                   calib_images: int = CALIB_IMAGES,
                   sizes: Sequence[Tuple[int, int]] = DEPLOY_SIZES) -> None:
    """Light-Head R-CNN in PyTorch and in the runtimes at each of ``sizes``."""
    report['calib_images'] = calib_images
    eager, cfg = build_detector(DETECTORS[LIGHT_HEAD])
    for size in sizes:
        report['deploy'] += time_deployed(LIGHT_HEAD, eager.eval(), cfg, size,
                                          threads, timing, work_dir, calib_images)


def measure_thundernet(report: dict, timing: Timing, work_dir: Path,
                       calib_images: int = CALIB_IMAGES,
                       detectors: Dict[str, Path] = THUNDERNETS,
                       size: Tuple[int, int] = THUNDERNET_SIZE) -> None:
    """ThunderNet on one thread, PyTorch and the runtimes, with the R-CNN's
    soft-NMS and with plain NMS (:data:`THUNDERNET_NMS`), beside the paper's
    speed; and its multiply-adds beside the paper's."""
    report['calib_images'] = calib_images
    saved = torch.get_num_threads()
    torch.set_num_threads(THUNDERNET_THREADS)
    try:
        for name, config in detectors.items():
            weights, counts = None, None
            for nms, cfg_options in THUNDERNET_NMS.items():
                model, cfg = build_detector(config, cfg_options=cfg_options)
                if weights is None:
                    weights = model.state_dict()
                model.load_state_dict(weights)
                rows = time_deployed(f'{name} {nms}', model.eval(), cfg, size,
                                     THUNDERNET_THREADS, timing, work_dir,
                                     calib_images)
                for row in rows:
                    row['rcnn_nms'] = cfg.model.test_cfg.rcnn.nms.type
                report['deploy'] += rows
                counts = counts or detector_multiply_adds(  # the same for both
                    model, image_size=size[0],
                    num_rois=cfg.model.test_cfg.rpn.max_per_img, depth=1)
                best = max(rows[1:], key=lambda r: r['median'])
                paper = PAPER_THUNDERNET.get(name, {})
                report['thundernet'].append(dict(
                    detector=f'{name} {nms}', input=rows[0]['input'],
                    threads=THUNDERNET_THREADS, rcnn_nms=rows[0]['rcnn_nms'],
                    eager=rows[0]['median'], best_runtime=best['runtime'],
                    best_runtime_median=best['median'],
                    best_ratio_to_eager=best['ratio_to_eager'],
                    paper_images_per_s=paper.get('images_per_s'),
                    mflops=counts['total'] / 1e6,
                    mflops_parts={k: v / 1e6 for k, v in counts.items()
                                  if k != 'total'},
                    paper_mflops=paper.get('mflops'), paper_mflops_verified=False))
    finally:
        torch.set_num_threads(saved)


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


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_timing_args(parser)
    parser.add_argument('--skip-memory', action='store_true',
                        help='time inference only')
    add_deploy_args(parser, 'the detectors exported, in onnxruntime and '
                    'OpenVINO, FP32 and INT8')
    parser.add_argument('--calib-images', type=int, default=CALIB_IMAGES,
                        help='random images calibrating the INT8 files (default: '
                        f'{CALIB_IMAGES})')
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
    report = new_report('detector',
                        dict(mmdet=mmdet.__version__, **runtime_versions()), timing)
    report.update(speed=[], memory=[], deploy=[], thundernet=[])
    if not args.deploy_only:
        measure_speed(report, timing)
    if not args.skip_deploy:
        with tempfile.TemporaryDirectory() as work_dir:
            measure_deploy(report, timing, args.threads, Path(work_dir),
                           args.calib_images)
            measure_thundernet(report, timing, Path(work_dir), args.calib_images)
    if not (args.skip_memory or args.deploy_only):
        measure_memory(report, args.threads)
    write_report(report, to_markdown, args.out_dir)


if __name__ == '__main__':
    main()
