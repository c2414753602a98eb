"""The detector benchmark's deployment rows: Light-Head R-CNN and ThunderNet
exported, in onnxruntime and OpenVINO, FP32 and INT8, timed beside PyTorch eager."""
import copy
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.config import Config

from ..analysis.complexity import detector_multiply_adds
from ..deploy.backend_model import BackendModel
from ..deploy.export import export_model
from ..deploy.quantize import quantize
from .detector_benchmark import (CONFIGS, DETECTORS, FASTER, LIGHT_HEAD,
                                 build_detector, images, test_step)
from .stage_profile import profile_detector
from .timing import (EAGER, Timing, interleaved_rates, ratios_to, runtimes,
                     summarise, write_random_images)

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


def _sized_cfg(cfg: Config, size: Tuple[int, int]) -> Config:
    """``cfg`` with its test pipeline resizing to at most ``size`` (H, W): images
    of that size pass unchanged and fit the exported input (deploy.quantize
    prepares its calibration images with the pipeline stored in the file)."""
    cfg = copy.deepcopy(cfg)
    for step in cfg.test_dataloader.dataset.pipeline:
        if step['type'] in ('Resize', 'mmdet.Resize') and step.get('scale'):
            step['scale'] = (size[1], size[0])
    return cfg


def _export_both(detector: str, eager: nn.Module, cfg: Config,
                 size: Tuple[int, int], work_dir: Path,
                 calib_images: int) -> Dict[str, str]:
    """``{'fp32': path, 'int8': path}``: ``eager`` exported at ``size`` and its
    INT8 version calibrated on random-pixel images, in ``work_dir``."""
    height, width = size
    stem = work_dir / f"{detector.replace(' ', '_')}_{height}x{width}"
    files = dict(fp32=f'{stem}.onnx', int8=f'{stem}_int8.onnx')
    export_model(_sized_cfg(cfg, size), eager, files['fp32'], shape=size)
    calib = write_random_images(Path(f'{stem}_calib'), calib_images, size)
    quantize(files['fp32'], str(calib), files['int8'], calib_images)
    return files


def time_deployed(detector: str, eager: nn.Module, cfg: Config,
                  size: Tuple[int, int], threads: int, timing: Timing,
                  work_dir: Path, calib_images: int) -> List[dict]:
    """Export ``eager`` (built from ``cfg``) at ``size``, quantize it, and time
    ``eager.test_step`` beside the file in every runtime, interleaved, batch 1,
    ``threads`` threads each (the caller sets PyTorch's). One row per entry,
    ratios to PyTorch eager."""
    height, width = size
    fp32, int8 = _export_both(detector, eager, cfg, size, work_dir,
                              calib_images).values()
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


# the per-stage profiles with random weights (Light-Head R-CNN's, with trained
# weights, are in trained_deploy): the paper's size of each
PROFILED = {
    'ThunderNet SNet146': (THUNDERNETS['ThunderNet SNet146'], THUNDERNET_SIZE),
    FASTER: (DETECTORS[FASTER], (800, 1216)),
}


def measure_profiles(report: dict, threads: int, work_dir: Path,
                     calib_images: int = CALIB_IMAGES,
                     detectors: Dict[str, Tuple[Path, Tuple[int, int]]] = PROFILED
                     ) -> None:
    """The per-stage table (:func:`.stage_profile.profile_detector`) of each of
    ``detectors`` with random weights, on a random-pixel image."""
    for name, (config, size) in detectors.items():
        model, cfg = build_detector(config)
        model.eval()
        files = _export_both(name, model, cfg, size, work_dir, calib_images)
        report['profiles'].append(profile_detector(
            name, 'random', model, cfg, files, [images(1, size=size)], size,
            threads))
