"""The real-photo experiment: two detectors trained from random init on real
aerial photographs with the one-command path, then COCO mAP side by side.

The set: the NEON tree-crown photographs that the deepforest package ships (CC0;
tests/data/real/LICENCE.md). Two RGB orthophotos of one site (YELL), 1249x1035
and 2299x2472 px, with 853 crowns labelled ``Tree``, most of 20-60 px. (The
wheel's two other annotated images are 400 px crops of other sites: SOAP_061
labels its crowns ``Alive`` / ``Dead``, another task, and OSBS_029's annotation
names a GeoTIFF; both are in the test suite instead.) It is the only real
annotated set of more than a few dozen objects that a package on the index ships
(no machine here reaches COCO or any other download), and it is the case this
project's large-image tools are for: the photographs are cut into 200 px tiles
(``convert_dataset(..., tile=200)``, what ``tools/data/convert.py --from voc
--tile 200`` runs) and split 80 / 20 by tile (``configs/_base_/datasets/
deepforest_trees.py``). Edge tiles are shifted inward to stay 200 px, so they
overlap their neighbours, which may be in the other split.

Contenders, same data, schedule, batch and iterations
(``configs/_base_/schedules/real_photos_det.py``):

- ``lighthead``: ``configs/det/lighthead_shufflenetv2_deepforest.py``;
- ``reference``: mmdet's Faster R-CNN + FPN on mmpretrain's ShuffleNetV2 1x
  (``configs/det/faster_rcnn_fpn_mmpretrain_shufflenetv2_deepforest.py``).

Each is trained by ``tools/train.py CONFIG --data DIR`` in its own process (one
at a time: the two cores are the budget) and evaluated by the validation at the
end of training; the figures are read from mmengine's ``scalars.json``.
"""
import json
import os
import os.path as osp
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from mmengine.config import Config

from ..analysis.reports import report_header
from ..data.formats import convert_dataset

DEEPFOREST = 'deepforest==2.1.0'
# the two large annotated photographs in the wheel's deepforest/data/
PHOTOGRAPHS = ('2019_YELL_2_528000_4978000_image_crop2',
               '2019_YELL_2_541000_4977000_image_crop')
TILE = 200
WARMUP = 50  # iterations, as configs/_base_/schedules/real_photos_det.py
VAL_FRACTION = 0.2
SEED = 0

CONTENDERS = {
    'lighthead': ('Light-Head R-CNN, ShuffleNetV2 1x (this package)',
                  'configs/det/lighthead_shufflenetv2_deepforest.py'),
    'reference': ("Faster R-CNN + FPN (mmdet), mmpretrain's ShuffleNetV2 1x",
                  'configs/det/faster_rcnn_fpn_mmpretrain_shufflenetv2_deepforest.py'),
}
METRICS = ('bbox_mAP', 'bbox_mAP_50', 'bbox_mAP_75', 'bbox_mAP_s', 'bbox_mAP_m',
           'bbox_mAP_l')


def fetch_photographs(cache_dir: str) -> str:
    """The deepforest wheel's photographs as a Pascal VOC folder under
    ``cache_dir`` (downloaded once with pip, no dependencies); returns it."""
    voc = osp.join(cache_dir, 'deepforest_voc')
    if osp.isdir(osp.join(voc, 'Annotations')):
        return voc
    wheel_dir = osp.join(cache_dir, 'wheels')
    subprocess.run([sys.executable, '-m', 'pip', 'download', '--no-deps',
                    '--quiet', '-d', wheel_dir, DEEPFOREST], check=True)
    wheel, = [f for f in os.listdir(wheel_dir) if f.startswith('deepforest-')]
    with zipfile.ZipFile(osp.join(wheel_dir, wheel)) as archive:
        for name in PHOTOGRAPHS:
            for suffix, folder in (('.png', 'JPEGImages'), ('.xml', 'Annotations')):
                os.makedirs(osp.join(voc, folder), exist_ok=True)
                with open(osp.join(voc, folder, name + suffix), 'wb') as f:
                    f.write(archive.read(f'deepforest/data/{name}{suffix}'))
    return voc


def prepare_tiles(cache_dir: str, data_dir: str) -> List[str]:
    """The COCO folder of tiles the detectors train on (written once); returns
    the lines that say what it holds."""
    if not osp.isdir(osp.join(data_dir, 'annotations')):
        dataset, _ = convert_dataset(fetch_photographs(cache_dir), data_dir, 'voc',
                                     val_fraction=VAL_FRACTION, seed=SEED,
                                     tile=TILE)
    lines = []
    for split in ('train', 'val'):
        with open(osp.join(data_dir, 'annotations', f'instances_{split}.json')) as f:
            coco = json.load(f)
        lines.append(f"{split}: {len(coco['images'])} tiles of {TILE} px, "
                     f"{len(coco['annotations'])} crowns")
    return lines


@dataclass
class Run:
    """One contender's training: wall time, iterations, the final validation
    metrics (``coco/<name>``) and the anchor-check lines ``tools/train.py``
    printed."""
    name: str
    config: str
    seconds: float
    iterations: int
    metrics: Dict[str, float]
    anchor_check: List[str]


def final_metrics(work_dir: str) -> Dict[str, float]:
    """The last validation's ``coco/*`` figures in ``work_dir``'s newest run."""
    runs = sorted(Path(work_dir).glob('*/vis_data/scalars.json'))
    if not runs:
        raise FileNotFoundError(f'no */vis_data/scalars.json under {work_dir}')
    metrics = {}
    for line in runs[-1].read_text().splitlines():
        record = json.loads(line)
        if 'coco/bbox_mAP' in record:
            metrics = {k[len('coco/'):]: v for k, v in record.items()
                       if k.startswith('coco/')}
    if not metrics:
        raise ValueError(f'{runs[-1]}: no validation (coco/bbox_mAP) was logged')
    return metrics


def train_command(config: str, data_dir: str, work_dir: str,
                  iterations: Optional[int]) -> List[str]:
    """``tools/train.py CONFIG --data DIR``, the one-command path; with
    ``iterations``, a shorter schedule of the same shape (warm-up, one step at
    80 %, validation at the end)."""
    command = [sys.executable, 'tools/train.py', config, '--data', data_dir,
               '--work-dir', work_dir]
    if iterations is not None:
        # the warm-up at most a fifth of the run
        command += ['--cfg-options', f'train_cfg.max_iters={iterations}',
                    f'param_scheduler.0.end={min(WARMUP, iterations // 5)}',
                    f'train_cfg.val_interval={iterations}',
                    f'param_scheduler.1.end={iterations}',
                    f'param_scheduler.1.milestones=[{int(iterations * 0.8)}]']
    return command


def train_contender(name: str, data_dir: str, work_root: str,
                    iterations: Optional[int] = None) -> Run:
    """Train one contender in its own process; its output goes to
    ``<work_root>/<name>/train.log``."""
    _, config = CONTENDERS[name]
    work_dir = osp.join(work_root, name)
    os.makedirs(work_dir, exist_ok=True)
    log_path = osp.join(work_dir, 'train.log')
    start = time.perf_counter()
    with open(log_path, 'w') as log:
        done = subprocess.run(train_command(config, data_dir, work_dir, iterations),
                              stdout=log, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - start
    with open(log_path) as log:
        output = log.read().splitlines()
    if done.returncode != 0:
        tail = '\n'.join(output[-20:])
        raise RuntimeError(f'{name}: tools/train.py exited {done.returncode}; '
                           f'last lines of {log_path}:\n{tail}')
    cfg = Config.fromfile(osp.join(work_dir, osp.basename(config)))
    return Run(name, config, seconds, cfg.train_cfg.max_iters, final_metrics(work_dir),
               anchor_check_lines(output))


def anchor_check_lines(output: Sequence[str]) -> List[str]:
    """The anchor check's block (its first line and the indented ones after it)
    in ``tools/train.py``'s output."""
    lines, inside = [], False
    for line in output:
        if line.startswith('anchor check'):
            inside = True
        elif not line.startswith('  '):
            inside = False
        if inside:
            lines.append(line)
    return lines


def to_markdown(report: dict) -> str:
    """The report as Markdown: the header (date, command, machine), the data,
    one row per contender, and each contender's anchor check."""
    # timed: the header gives the load average, since training time is a figure
    lines = report_header(report, 'Real photographs: trained from random init')
    lines += [f'- {line}' for line in report['data']]
    lines += ['', '| detector | config | iterations | training | bbox mAP | AP50 | '
              'AP75 | AP small | AP medium | AP large |',
              '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|']
    for run in report['runs']:
        figures = ' | '.join(_metric(run['metrics'].get(k)) for k in METRICS)
        minutes, per_iter = run['seconds'] / 60, run['seconds'] / run['iterations']
        lines.append(f"| {CONTENDERS[run['name']][0]} | `{run['config']}` | "
                     f"{run['iterations']} | {minutes:.1f} min ({per_iter:.2f} s/iter) "
                     f"| {figures} |")
    for run in report['runs']:
        lines += ['', f"{CONTENDERS[run['name']][0]}, anchor check before training:",
                  '']
        lines += [f'    {line}' for line in run['anchor_check']]
    return '\n'.join(lines) + '\n'


def _metric(value: Optional[float]) -> str:
    # COCOeval writes -1 for an area range with no ground truth
    return '-' if value is None or value < 0 else f'{value:.3f}'
