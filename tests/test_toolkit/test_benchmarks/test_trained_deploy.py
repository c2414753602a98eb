"""The trained-weight deployment rows (shufflenet_backbones.toolkit.benchmarks.
trained_detectors and trained_deploy) on a tiny plan: the detector is really
trained by tools/train.py (and cached), exported, quantized, timed pair by pair in
fresh processes, and evaluated in every runtime; eager's early-stopped proposal
NMS timed against mmdet's and its detections compared. (The timings themselves are not
tested: they are what the benchmark prints.)"""
import json
import sys
import textwrap

import pytest
from mmengine.config import Config

from shufflenet_backbones.toolkit.analysis.reports import (new_report,
                                                           write_report)
from shufflenet_backbones.toolkit.benchmarks import (detector_report,
                                                     trained_deploy,
                                                     trained_detectors)
from shufflenet_backbones.toolkit.benchmarks.timing import (EAGER,
                                                            EAGER_MMDET_NMS,
                                                            RUNTIMES, Timing)

DETECTOR = 'Light-Head R-CNN'
SIZE = (64, 96)
TINY = trained_detectors.TrainingPlan(
    trained_detectors.CONFIGS / 'lighthead_shufflenetv2.py', SIZE, iterations=4,
    batch=2, num_train=4, num_val=2)


def test_training_config_keeps_the_timed_model(tmp_path):
    from shufflenet_backbones.toolkit.data.synthetic_shapes import \
        generate_shapes_coco
    generate_shapes_coco(str(tmp_path), 2, 2, image_size=(96, 64))
    cfg = trained_detectors.training_config(TINY, str(tmp_path))
    coco = Config.fromfile(TINY.config)
    # what the benchmark times is the COCO config's test path
    assert cfg.model.test_cfg == coco.model.test_cfg
    assert cfg.model.neck == coco.model.neck
    assert cfg.model.roi_head.bbox_head.num_classes == 3  # the shapes
    assert cfg.model.backbone.init_cfg is None and not cfg.model.backbone.norm_eval
    assert cfg.train_cfg.max_iters == 4 and cfg.train_dataloader.batch_size == 2
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        scales = [s['scale'] for s in cfg[loader].dataset.pipeline
                  if s['type'] == 'Resize']
        assert scales == [(96, 64)], loader
    assert cfg.optim_wrapper.optimizer.type == 'AdamW'
    assert cfg.randomness.seed == trained_detectors.SEED


WORKER = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from shufflenet_backbones.toolkit.benchmarks import trained_deploy as t
    from shufflenet_backbones.toolkit.benchmarks.timing import Timing
    from shufflenet_backbones.toolkit.benchmarks.trained_detectors import (
        CONFIGS, TrainingPlan)
    plan = TrainingPlan(CONFIGS / 'lighthead_shufflenetv2.py', (64, 96),
                        iterations=4, batch=2, num_train=4, num_val=2)
    t.PLANS = {('Light-Head R-CNN', (64, 96)): plan}
    t.PLAN_KEYS = {'Light-Head_R-CNN_64x96': ('Light-Head R-CNN', (64, 96))}
    print(json.dumps(t.worker(sys.argv[2], 1, Timing(0, 2, 0.01), Path(sys.argv[1]))))
""")


@pytest.mark.filterwarnings('ignore::DeprecationWarning')
def test_trained_rows_end_to_end(tmp_path, monkeypatch):
    monkeypatch.setattr(trained_deploy, 'PLANS', {(DETECTOR, SIZE): TINY})
    monkeypatch.setattr(trained_deploy, 'CALIB_IMAGES', 2)
    monkeypatch.setattr(trained_deploy, 'TIMED_IMAGES', 2)
    timing = Timing(warmup=0, rounds=2, target_seconds=0.01)
    report = new_report('detector', {}, timing)
    report.update(speed=[], memory=[], deploy=[], thundernet=[], trained=[],
                  profiles=[])
    cache = tmp_path / 'cache'
    script = tmp_path / 'worker.py'
    script.write_text(WORKER)
    trained_deploy.measure_trained(report, 1, timing, cache, processes=2,
                                   worker_command=[sys.executable, str(script),
                                                   str(cache)])
    # trained by tools/train.py and cached: a second call trains nothing
    work_dir = cache / TINY.name
    assert (work_dir / 'iter_4.pth').is_file()
    logged = (work_dir / 'train.log').read_text()
    assert 'Saving checkpoint at 4 iterations' in logged
    stamp = (work_dir / 'iter_4.pth').stat().st_mtime
    trained_detectors.trained_detector(TINY, cache)
    assert (work_dir / 'iter_4.pth').stat().st_mtime == stamp

    run, = report['trained']
    assert run['processes'] == 2 and run['input'] == '64x96, batch 1'
    assert 'coco/bbox_mAP' in run['training']['val_metrics']
    assert [r['runtime'] for r in run['rows']] == [r.label for r in RUNTIMES]
    for row in run['rows']:
        ratio = row['ratio_to_eager']
        assert len(ratio['values']) == 2  # one per process
        assert ratio['min'] <= ratio['median'] <= ratio['max'] and ratio['min'] > 0
        assert 0 <= row['bbox_mAP'] <= 1
    # FP32 in either runtime scores what PyTorch scores (the same graph)
    fp32 = [r for r in run['rows'] if r['runtime'].endswith('FP32')]
    for row in fp32:
        assert row['bbox_mAP'] == pytest.approx(run['eager_bbox_mAP'], abs=0.02)

    # eager's early-stopped proposal NMS against mmdet's: timed in each process,
    # the same detections on both validation images
    nms = run['eager_nms']
    assert len(nms['speedup']['values']) == 2 and nms['speedup']['min'] > 0
    assert nms['identical_images'] == nms['images'] == 2

    # and where its time goes, in eager (both NMS) and every runtime, trained weights
    profile, = report['profiles']
    assert profile['weights'] == 'trained' and profile['input'] == '64x96, batch 1'
    labels = [r.label for r in RUNTIMES]
    assert list(profile['rows'][0]['columns']) == [EAGER, EAGER_MMDET_NMS] + labels

    json_path = write_report(report, detector_report.to_markdown, tmp_path / 'out')
    markdown = json_path.with_suffix('.md').read_text()
    assert 'Deployment with trained weights' in markdown
    assert markdown.index('Where the time goes') < markdown.index(
        'Deployment with trained weights')
    assert f'| {DETECTOR} | 64x96, batch 1 | 1 | {EAGER} |' in markdown
    assert f'| {DETECTOR} | 64x96, batch 1 |' in markdown.split(
        "against mmdet's over all `nms_pre` boxes")[1]
    assert '| 2 of 2 images |' in markdown
    assert json.loads(json_path.read_text())['trained'][0]['rows'][0]['runtime'] \
        == RUNTIMES[0].label
