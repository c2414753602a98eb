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
the detector exported by ``shufflenet_backbones.toolkit.deploy`` (one ONNX file,
standard ops: normalisation, padding, RPN decoding, NMS, RoI pooling, R-CNN and
per-class NMS in the graph) and run by ``BackendModel`` as ``tools/test.py`` runs
it, beside PyTorch eager ``model.test_step``; both end to end per image: preprocessing
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

These deployment rows have random weights, the worst case for eager PyTorch (see
:mod:`.trained_detectors`). The rows users should read come first in the report:
Light-Head R-CNN with trained weights at both sizes, each runtime timed in a pair
with eager alone in several fresh processes, with the runtimes' bbox mAP
(:mod:`.trained_deploy`); and the per-stage profiles of Light-Head R-CNN (trained),
ThunderNet SNet146 and Faster R-CNN + FPN (random weights) in eager and every
runtime (:mod:`.stage_profile`). ``--trained-only`` runs just those.

Writes ``detector_<date>.json`` and ``.md`` to ``--out-dir`` and prints the table.
"""
import copy
import statistics
from pathlib import Path
from typing import Callable, Optional, Tuple

import torch
import torch.nn as nn
from mmdet.registry import MODELS
from mmdet.testing import demo_mm_inputs
from mmengine.config import Config
from mmengine.registry import DefaultScope

from .timing import Timing, interleaved_rates, summarise

# the repository's configs (the package is installed in editable mode)
CONFIGS = Path(__file__).resolve().parents[3] / 'configs' / 'det'  # the checkout's
DETECTORS = {
    'Light-Head R-CNN': CONFIGS / 'lighthead_shufflenetv2.py',
    'Faster R-CNN + FPN': CONFIGS / 'faster_rcnn_fpn_shufflenetv2.py',
}
LIGHT_HEAD, FASTER = DETECTORS
NCHW_BACKBONE = 'NCHW backbone (channels_last=False)'
HEIGHT, WIDTH = 800, 1200  # the papers' detection size
SPEED_BATCHES = (1, 4)
SETTINGS = {'full': Timing(2, 7, 2.0), 'quick': Timing(1, 3, 0.5)}


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
