"""The deployment rows with trained weights (:mod:`.trained_detectors`): PyTorch
eager beside each runtime, two contenders at a time, in several processes, and
the runtimes' accuracy on the detector's own validation images.

- **Pairs.** Each runtime is timed interleaved with PyTorch eager alone (eager,
  runtime, eager, runtime, ...), not with the other runtimes, so that one
  runtime's thread pool cannot slow the next; the runtimes run with
  ``share_cpu`` (onnxruntime's threads do not spin when idle, OpenVINO one
  stream, latency hint), PyTorch with the benchmark's thread count.
- **Images.** The validation images of the generated set the detector was
  trained on, at the benchmark's size, one per pass, through the test pipeline
  (the timed ``test_step`` includes the data preprocessor, as ``tools/test.py``).
- **Processes.** The whole set of pairs runs in ``--processes`` fresh processes
  one after another (``--trained-worker``), so that the spread across processes
  (allocator, thread placement, warm-up) shows; the report gives each ratio's
  median, min and max over them.
- **Accuracy.** ``tools/test.py`` on the validation images with the checkpoint
  and with each file in each runtime (INT8 calibrated on 32 training images).
- **Eager's proposal NMS.** The detector's RPN NMS stops once it has kept
  ``max_per_img`` boxes (:class:`~...models.dense_heads.SelectRPNHead`); beside
  each pair, PyTorch eager is timed interleaved with the same model on mmdet's
  post-processing, and the two models' detections are compared on every
  validation image (identical boxes, scores and labels).
"""
import copy
import itertools
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import torch
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from ..deploy.backend_model import BackendModel
from ..deploy.export import export_model
from ..deploy.quantize import quantize
from .detector_benchmark import CONFIGS
from .stage_profile import profile_detector
from .timing import (EAGER, EAGER_MMDET_NMS, Timing, cycling_test_step,
                     interleaved_rates, ratios_to, runtimes, summarise,
                     with_mmdet_proposal_nms)
from .trained_detectors import PLANS, TrainedDetector, trained_detector

CALIB_IMAGES = 32
TIMED_IMAGES = 8  # validation images cycled through in the timing passes
METRIC = 'coco/bbox_mAP'


def plan_key(detector: str, size: Tuple[int, int]) -> str:
    return f"{detector.replace(' ', '_')}_{size[0]}x{size[1]}"


PLAN_KEYS = {plan_key(*key): key for key in PLANS}


def deployed_files(trained: TrainedDetector, size: Tuple[int, int],
                   work_dir: Path) -> Dict[str, str]:
    """``{'fp32': path, 'int8': path}``: the detector exported at ``size`` (a
    fixed input shape, as the random-weight rows) and its INT8 version, written
    once into ``work_dir``."""
    stem = work_dir / Path(trained.checkpoint).parent.name
    files = dict(fp32=f'{stem}.onnx', int8=f'{stem}_int8.onnx')
    if not Path(files['fp32']).is_file():
        export_model(trained.cfg, trained.model, files['fp32'], shape=size)
    if not Path(files['int8']).is_file():
        quantize(files['fp32'], trained.config_path, files['int8'], CALIB_IMAGES)
    return files


def validation_batches(trained: TrainedDetector, count: int) -> List[dict]:
    """The first ``count`` validation images, packed by the test pipeline as
    the dataloader packs them (batch 1)."""
    cfg = copy.deepcopy(trained.cfg.test_dataloader)
    cfg.update(batch_size=1, num_workers=0, persistent_workers=False)
    with DefaultScope.overwrite_default_scope('mmdet'):
        loader = Runner.build_dataloader(cfg)
    return list(itertools.islice(loader, count))


def _against_eager(trained: TrainedDetector, label: str, other, batches: List[dict],
                   timing: Timing) -> dict:
    """``other`` (a model with ``test_step``) interleaved with PyTorch eager on
    ``batches``: both rates summarised, the passes per round, and ``other``'s
    median rate over eager's."""
    with torch.inference_mode():
        passes, rates = interleaved_rates(
            {EAGER: cycling_test_step(trained.model, batches),
             label: cycling_test_step(other, batches)}, timing)
    return dict(eager=summarise(rates[EAGER]), other=summarise(rates[label]),
                passes_per_round=passes, ratio=ratios_to(rates, EAGER)[label])


def time_pairs(trained: TrainedDetector, files: Dict[str, str], threads: int,
               batches: List[dict], timing: Timing) -> List[dict]:
    """Every runtime interleaved with PyTorch eager, one pair at a time; one row
    per runtime with both medians and the ratio."""
    rows = []
    for runtime in runtimes():
        model = BackendModel(files['int8' if runtime.int8 else 'fp32'],
                             runtime.backend, threads, share_cpu=True)
        timed = _against_eager(trained, runtime.label, model, batches, timing)
        rows.append(dict(runtime=runtime.label, eager=timed['eager'],
                         deployed=timed['other'],
                         passes_per_round=timed['passes_per_round'],
                         ratio_to_eager=timed['ratio']))
        del model
    return rows


def time_eager_nms(trained: TrainedDetector, batches: List[dict],
                   timing: Timing) -> dict:
    """PyTorch eager interleaved with the same model on mmdet's proposal
    post-processing; ``speedup`` is eager's median rate over mmdet's."""
    timed = _against_eager(trained, EAGER_MMDET_NMS,
                           with_mmdet_proposal_nms(trained.model), batches, timing)
    return dict(eager=timed['eager'], mmdet=timed['other'],
                passes_per_round=timed['passes_per_round'],
                speedup=1 / timed['ratio'])


def identical_detections(trained: TrainedDetector, count: int) -> int:
    """On how many of the first ``count`` validation images the detector and
    its copy on mmdet's proposal post-processing give the same boxes, scores and
    labels."""
    peer = with_mmdet_proposal_nms(trained.model)
    same = 0
    with torch.inference_mode():
        for batch in validation_batches(trained, count):
            ours, mmdet = (m.test_step(copy.deepcopy(batch))[0].pred_instances
                           for m in (trained.model, peer))
            same += all(torch.equal(ours[k], mmdet[k])
                        for k in ('bboxes', 'scores', 'labels'))
    return same


def worker(key: str, threads: int, timing: Timing, cache_dir: Path) -> dict:
    """One process's pairs for the plan ``key`` (weights and files already
    there: :func:`measure_trained` makes them first), and eager's NMS pair."""
    detector, size = PLAN_KEYS[key]
    trained = trained_detector(PLANS[(detector, size)], cache_dir)
    batches = validation_batches(trained, TIMED_IMAGES)
    return dict(pairs=time_pairs(trained, deployed_files(trained, size, cache_dir),
                                 threads, batches, timing),
                eager_nms=time_eager_nms(trained, batches, timing))


def _test_metric(config: str, model: str, backend: str, work_dir: Path) -> float:
    """``tools/test.py CONFIG MODEL [--backend B]``'s bbox mAP."""
    command = [sys.executable, 'tools/test.py', config, model, '--work-dir',
               str(work_dir)]
    if model.endswith('.onnx'):
        command += ['--backend', backend]
    subprocess.run(command, check=True, cwd=CONFIGS.parents[1],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    newest = sorted(work_dir.glob('*/*.json'))[-1]
    return json.loads(newest.read_text())[METRIC]


def accuracy(trained: TrainedDetector, files: Dict[str, str],
             work_dir: Path) -> Dict[str, float]:
    """bbox mAP on the validation images: the checkpoint in PyTorch, and each
    file in each runtime."""
    results = {EAGER: _test_metric(trained.config_path, trained.checkpoint, '',
                                   work_dir / 'test_eager')}
    for runtime in runtimes():
        path = files['int8' if runtime.int8 else 'fp32']
        label = runtime.label.replace(' ', '_')
        results[runtime.label] = _test_metric(trained.config_path, path,
                                              runtime.backend,
                                              work_dir / f'test_{label}')
    return results


def _spread(values: List[float]) -> dict:
    return dict(median=statistics.median(values), min=min(values),
                max=max(values), values=values)


def measure_trained(report: dict, threads: int, timing: Timing, cache_dir: Path,
                    processes: int, worker_command: List[str]) -> None:
    """For every plan: train (or take from the cache), export and quantize, then
    time the pairs in ``processes`` fresh processes (``worker_command`` + the
    plan's key prints one JSON list of rows), and measure the accuracy."""
    for (detector, size), plan in PLANS.items():
        trained = trained_detector(plan, cache_dir)
        files = deployed_files(trained, size, cache_dir)
        key = plan_key(detector, size)
        per_process = []
        for index in range(processes):
            done = subprocess.run(worker_command + [key], check=True,
                                  capture_output=True, text=True)
            per_process.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(f'{detector} {size[0]}x{size[1]}, process {index + 1}: ' +
                  ', '.join(f"{r['runtime']} {r['ratio_to_eager']:.2f}x"
                            for r in per_process[-1]['pairs']) +
                  f", eager's NMS {per_process[-1]['eager_nms']['speedup']:.2f}x "
                  "mmdet's", flush=True)
        mean_ap = accuracy(trained, files, cache_dir / plan.name)
        report['profiles'].append(profile_detector(
            detector, 'trained', trained.model, trained.cfg, files,
            validation_batches(trained, TIMED_IMAGES), size, threads))
        rows = []
        for i, first in enumerate(per_process[0]['pairs']):
            runs = [p['pairs'][i] for p in per_process]
            rows.append(dict(
                runtime=first['runtime'],
                ratio_to_eager=_spread([r['ratio_to_eager'] for r in runs]),
                eager=_spread([r['eager']['median'] for r in runs]),
                deployed=_spread([r['deployed']['median'] for r in runs]),
                bbox_mAP=mean_ap[first['runtime']]))
        report['trained'].append(dict(
            detector=detector, input=f'{size[0]}x{size[1]}, batch 1', threads=threads,
            processes=processes, training=dict(
                iterations=plan.iterations, batch=plan.batch, images=plan.num_train,
                val_images=plan.num_val, val_metrics=trained.val_metrics),
            eager_bbox_mAP=mean_ap[EAGER], rows=rows,
            eager_nms=dict(
                speedup=_spread([p['eager_nms']['speedup'] for p in per_process]),
                eager=_spread([p['eager_nms']['eager']['median'] for p in per_process]),
                mmdet=_spread([p['eager_nms']['mmdet']['median'] for p in per_process]),
                identical_images=identical_detections(trained, plan.num_val),
                images=plan.num_val)))
