"""Sliced inference (shufflenet_backbones.toolkit.inference.slicing; ``--slice`` of
tools/infer.py, tools/test.py and tools/deploy/infer.py).

The merging (shift into the image, NMS, the whole-image pass) is checked exactly
with stub detectors that answer known boxes; the real path with the quickstart's
detector with random weights: one tile covering an image gives that image's
predictions, and a 3x3 grid of generated 128 px images stitched into one 384 px
image, cut into its 9 images again, gives the union of their predictions moved to
their places (tiles that do not overlap see nothing of each other, and clipped
boxes of neighbouring tiles do not overlap). About a minute on 2 CPU cores, most
of it the two tools/test.py runs and the export (1.5 minutes with the cores
busy).
"""
import json
from pathlib import Path
from typing import Dict, List

import mmcv
import mmengine
import numpy as np
import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData

from shufflenet_backbones.toolkit.cli import deploy_infer as deploy_infer_tool
from shufflenet_backbones.toolkit.cli import infer as infer_tool
from shufflenet_backbones.toolkit.cli import test as test_tool
from shufflenet_backbones.toolkit.data import generate_shapes_coco
from shufflenet_backbones.toolkit.errors import CLIError
from shufflenet_backbones.toolkit.inference.slicing import (
    DEFAULT_IOU_THR, SlicedPredictor, SliceSettings, merge_iou_threshold)

ROOT = Path(__file__).parents[3]
CONFIG = ROOT / 'configs' / 'det' / 'lighthead_shufflenetv2_shapes_demo.py'
TEST = ROOT / 'tools' / 'test.py'
SIDE = 128  # the generated images, and the grid's cells
GRID = 3

# ---------------------------------------------------------------------------------
# stub detectors: exact checks of tiling, shifting and merging


def instances(boxes, scores, labels) -> InstanceData:
    return InstanceData(bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
                        scores=torch.tensor(scores, dtype=torch.float32),
                        labels=torch.tensor(labels, dtype=torch.long))


def as_rows(pred: InstanceData) -> List[tuple]:
    """(x1, y1, x2, y2, score, label) rows, highest score first."""
    rows = [(*box, round(score, 6), label) for box, score, label in zip(
        pred.bboxes.tolist(), pred.scores.tolist(), pred.labels.tolist())]
    return sorted(rows, key=lambda row: -row[4])


def cell_detector(tile: np.ndarray) -> InstanceData:
    """One box per tile at (10, 20)-(50, 60) of it, its label and score read from
    the tile's blue channel (BGR: the channel order mmdet's models get), and for
    the whole image (larger than a cell) one box around all of it."""
    height, width = tile.shape[:2]
    if (height, width) != (SIDE, SIDE):
        return instances([[0, 0, width, height]], [0.99], [2])
    cell = int(tile[0, 0, 0])  # blue
    return instances([[10, 20, 50, 60]], [0.5 + cell / 100], [cell % 3])


def grid_image() -> np.ndarray:
    """3x3 cells of 128 px, cell k (row-major) blue k, red 255."""
    image = np.zeros((GRID * SIDE, GRID * SIDE, 3), np.uint8)
    image[..., 2] = 255
    for k in range(GRID * GRID):
        row, col = divmod(k, GRID)
        image[row * SIDE:(row + 1) * SIDE, col * SIDE:(col + 1) * SIDE, 0] = k
    return image


@pytest.mark.parametrize('whole_image', [False, True])
def test_grid_boxes_are_moved_into_the_image(whole_image):
    pred = SlicedPredictor(cell_detector,
                           SliceSettings(SIDE, SIDE, 0.0, whole_image))(grid_image())
    expected = []
    for k in range(GRID * GRID):
        y, x = (SIDE * i for i in divmod(k, GRID))
        expected.append((10. + x, 20. + y, 50. + x, 60. + y, round(0.5 + k / 100, 6),
                         k % 3))
    if whole_image:  # SAHI's standard prediction, merged with the tiles
        expected.append((0., 0., GRID * SIDE, GRID * SIDE, 0.99, 2))
    assert as_rows(pred) == sorted(expected, key=lambda row: -row[4])


def test_one_tile_needs_no_whole_image_pass():
    """An image within one tile is predicted once: the 'whole image' pass would
    only repeat the tile."""
    calls = []

    def detector(tile):
        calls.append(tile.shape)
        return instances([[1, 2, 3, 4]], [0.5], [0])

    pred = SlicedPredictor(detector, SliceSettings(200, 300))(
        np.zeros((100, 150, 3), np.uint8))
    assert calls == [(100, 150, 3)]
    assert as_rows(pred) == [(1., 2., 3., 4., 0.5, 0)]


def square_detector(tile: np.ndarray) -> InstanceData:
    """A perfect detector of the white pixels: their bounding box in the tile,
    scoring the share of the 40x40 square it sees."""
    ys, xs = np.nonzero(tile[..., 0] == 255)
    if not len(xs):
        return instances([], [], [])
    box = [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
    seen = (box[2] - box[0]) * (box[3] - box[1]) / 1600
    return instances([box], [seen], [0])


@pytest.mark.parametrize('iou_thr,fragment_kept', [(0.5, True), (0.25, False)])
def test_overlapping_tiles_are_merged_by_nms(iou_thr, fragment_kept):
    """Tiles at x = 0, 64 and 128 (overlap 0.5) of a 128x256 image with a white
    square at x 100-140: the first tile sees 28 px of it, the second all of it,
    the third 12 px. NMS keeps the whole box, drops the first part (IoU 0.7
    with it) and keeps the second (IoU 0.3) unless the threshold is below. SAHI's
    default (greedy merging by intersection over the smaller box) would merge
    all three into one."""
    image = np.zeros((SIDE, 2 * SIDE, 3), np.uint8)
    image[30:70, 100:140] = 255
    pred = SlicedPredictor(square_detector,
                           SliceSettings(SIDE, SIDE, 0.5, False, iou_thr))(image)
    expected = [(100., 30., 140., 70., 1.0, 0)]
    if fragment_kept:
        expected.append((128., 30., 140., 70., 0.3, 0))
    assert as_rows(pred) == expected


def test_nms_keeps_the_best_box_of_each_class():
    """Overlapping tiles (x = 0, 64, 128 of a 128x256 image, each 64 px column
    coloured by its index) see an object at two places: the lower-scoring box is
    dropped, not merged into the other (SAHI's default would answer their union,
    60-130), and a box of another class at the same place stays."""
    image = np.zeros((SIDE, 2 * SIDE, 3), np.uint8)
    for column in range(4):
        image[:, 64 * column:64 * (column + 1), 0] = column

    def detector(tile):
        first_column = int(tile[0, 0, 0])
        if first_column == 0:
            return instances([[60, 0, 120, 40]], [0.9], [0])
        if first_column == 1:  # at 70-130 in the image: IoU 0.71 with the first
            return instances([[6, 0, 66, 40]] * 2, [0.8, 0.7], [0, 1])
        return instances([], [], [])

    pred = SlicedPredictor(detector, SliceSettings(SIDE, SIDE, 0.5, False))(image)
    assert as_rows(pred) == [(60., 0., 120., 40., 0.9, 0), (70., 0., 130., 40., 0.7, 1)]


def test_merge_iou_threshold_comes_from_the_config():
    cfg = Config.fromfile(str(CONFIG))
    assert merge_iou_threshold(cfg) == 0.5  # test_cfg.rcnn.nms
    cfg.model.test_cfg.rcnn.nms.iou_threshold = 0.3
    assert merge_iou_threshold(cfg) == 0.3
    one_stage = Config(dict(model=dict(test_cfg=dict(nms=dict(iou_threshold=0.6)))))
    assert merge_iou_threshold(one_stage) == 0.6
    assert merge_iou_threshold(Config(dict(model=dict()))) == DEFAULT_IOU_THR


@pytest.mark.parametrize('size,overlap,whole,message', [
    ((0, 128), None, None, '--slice takes the tile height and width'),
    ((128, -4), None, None, '--slice takes the tile height and width'),
    ((128.5, 128), None, None, 'got 128.5 128'),
    ((128, 128), 1.0, None, '--overlap is the share'),
    ((128, 128), -0.1, None, '--overlap is the share'),
    (None, 0.2, None, '--overlap applies to sliced inference'),
    (None, None, False, '--whole-image/--no-whole-image applies'),
])
def test_bad_slice_options(size, overlap, whole, message):
    with pytest.raises(CLIError, match=message):
        SliceSettings.from_options(size, overlap, whole)


def test_slice_options_defaults():
    assert SliceSettings.from_options(None) is None
    assert SliceSettings.from_options((96.0, 128.0)) == SliceSettings(96, 128, 0.2,
                                                                      True)
    assert SliceSettings.from_options((96, 128), 0, False) == SliceSettings(
        96, 128, 0.0, False)


# ---------------------------------------------------------------------------------
# the real detector (random weights) through the commands


@pytest.fixture(scope='module')
def workspace(tmp_path_factory):
    """Nine generated 128 px images, the same stitched into a 3x3 grid, and the
    quickstart's detector with random weights (classification layers scaled up
    so that scores spread out; R-CNN score threshold 0 so that every image has
    boxes), saved as a checkpoint and exported."""
    tmp = tmp_path_factory.mktemp('slicing')
    generate_shapes_coco(str(tmp / 'data'), num_train=0, num_val=GRID * GRID,
                         image_size=SIDE)
    images = sorted((tmp / 'data' / 'val').glob('*.png'))
    grid = np.zeros((GRID * SIDE, GRID * SIDE, 3), np.uint8)
    for k, path in enumerate(images):
        row, col = divmod(k, GRID)
        grid[row * SIDE:(row + 1) * SIDE, col * SIDE:(col + 1) * SIDE] = \
            mmcv.imread(str(path))
    mmcv.imwrite(grid, str(tmp / 'grid' / 'grid.png'))

    cfg = Config.fromfile(str(CONFIG))
    cfg.model.test_cfg.rcnn.score_thr = 0.0
    config = str(tmp / 'config.py')
    cfg.dump(config)
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(cfg.model)
    model.init_weights()
    with torch.no_grad():
        for name, param in model.named_parameters():
            if 'cls' in name and param.dim() > 1:
                param.normal_(0, 0.5)
    model.eval()
    checkpoint = str(tmp / 'random.pth')
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(dataset_meta=dict(classes=cfg.metainfo.classes))),
               checkpoint)
    return dict(tmp=tmp, config=config, checkpoint=checkpoint, model=model, cfg=cfg,
                images=[str(p) for p in images], grid=str(tmp / 'grid' / 'grid.png'))


def read_preds(out_dir: Path) -> Dict[str, dict]:
    return {path.stem: json.loads(path.read_text())
            for path in sorted((out_dir / 'preds').glob('*.json'))}


def assert_same(want: dict, got: dict, shift=(0, 0)) -> None:
    """The same detections (labels; boxes, moved by ``shift``, within 1e-3 px;
    scores within 1e-5), in any order."""
    assert len(got['labels']) == len(want['labels'])
    boxes = torch.tensor(got['bboxes']).reshape(-1, 4)
    scores, labels = torch.tensor(got['scores']), torch.tensor(got['labels'])
    offset = torch.tensor([shift[0], shift[1], shift[0], shift[1]])
    used = torch.zeros(len(labels), dtype=torch.bool)
    for box, score, label in zip(want['bboxes'], want['scores'], want['labels']):
        same = ((boxes - (torch.tensor(box) + offset)).abs().max(dim=1).values < 1e-3) \
            & ((scores - score).abs() < 1e-5) & (labels == label) & ~used
        assert same.any(), (box, score, label)
        used[int(same.nonzero()[0])] = True


def merged_cells(per_image: Dict[str, dict], images: List[str]) -> dict:
    """The predictions of the grid's cells, moved to their places in it."""
    merged = dict(bboxes=[], scores=[], labels=[])
    for k, image in enumerate(images):
        pred = per_image[Path(image).stem]
        y, x = (SIDE * i for i in divmod(k, GRID))
        merged['bboxes'] += [[b[0] + x, b[1] + y, b[2] + x, b[3] + y]
                             for b in pred['bboxes']]
        merged['scores'] += pred['scores']
        merged['labels'] += pred['labels']
    return merged


@pytest.fixture(scope='module')
def whole_predictions(workspace, tmp_path_factory):
    """tools/infer.py without slicing on the nine images."""
    out_dir = tmp_path_factory.mktemp('whole')
    infer_tool.main([workspace['config'], workspace['checkpoint'],
                     *workspace['images'], '--out-dir', str(out_dir),
                     '--score-thr', '0', '--device', 'cpu'])
    preds = read_preds(out_dir)
    assert len(preds) == GRID * GRID
    assert all(len(p['labels']) > 5 for p in preds.values())
    return preds


def test_one_tile_gives_the_whole_image_predictions(workspace, whole_predictions,
                                                    tmp_path, run_main):
    out_dir = tmp_path / 'one_tile'
    code, out, err = run_main(infer_tool.main, [
        workspace['config'], workspace['checkpoint'], *workspace['images'],
        '--out-dir', out_dir, '--score-thr', '0', '--device', 'cpu',
        '--slice', SIDE, SIDE + 32, '--overlap', 0, '--no-whole-image'])
    assert code == 0, err[-2000:]
    preds = read_preds(out_dir)
    assert preds.keys() == whole_predictions.keys()
    for name, pred in preds.items():
        assert_same(whole_predictions[name], pred)
        assert (out_dir / 'vis' / f'{name}.png').is_file()


def test_grid_gives_its_cells_predictions(workspace, whole_predictions, tmp_path,
                                          run_main):
    out_dir = tmp_path / 'grid'
    code, out, err = run_main(infer_tool.main, [
        workspace['config'], workspace['checkpoint'], workspace['grid'],
        '--out-dir', out_dir, '--score-thr', '0', '--device', 'cpu',
        '--slice', SIDE, SIDE, '--overlap', 0, '--no-whole-image'])
    assert code == 0, err[-2000:]
    assert f'{workspace["grid"]}: ' in out
    pred = read_preds(out_dir)['grid']
    boxes = torch.tensor(pred['bboxes'])
    assert ((boxes >= 0) & (boxes <= GRID * SIDE)).all()  # the grid's pixels
    centres = (boxes[:, :2] + boxes[:, 2:]) / 2
    cells = {(int(y) // SIDE, int(x) // SIDE) for x, y in centres.tolist()}
    assert cells == {(r, c) for r in range(GRID) for c in range(GRID)}
    assert_same(merged_cells(whole_predictions, workspace['images']), pred)
    assert mmcv.imread(str(out_dir / 'vis' / 'grid.png')) is not None


def test_grid_with_overlap_and_whole_image_pass(workspace, tmp_path, run_main):
    """The defaults (overlap 0.2, whole-image pass): boxes in the grid's pixels,
    none above NMS's IoU with another of its class."""
    out_dir = tmp_path / 'overlap'
    code, _, err = run_main(infer_tool.main, [
        workspace['config'], workspace['checkpoint'], workspace['grid'],
        '--out-dir', out_dir, '--score-thr', '0', '--device', 'cpu',
        '--slice', SIDE, SIDE])
    assert code == 0, err[-2000:]
    pred = read_preds(out_dir)['grid']
    boxes, labels = torch.tensor(pred['bboxes']), torch.tensor(pred['labels'])
    assert ((boxes >= 0) & (boxes <= GRID * SIDE)).all()
    assert (boxes[:, 2] > SIDE).any() and (boxes[:, 3] > SIDE).any()
    from mmdet.structures.bbox import bbox_overlaps
    iou = bbox_overlaps(boxes, boxes)
    same_class = labels[:, None] == labels[None, :]
    iou[~same_class] = 0
    iou.fill_diagonal_(0)
    assert iou.max() <= 0.5 + 1e-6


def test_infer_bad_slice_options_are_one_line(workspace, run_main):
    image = workspace['images'][0]
    for extra, message in [
        (('--slice', 0, 128), '--slice takes the tile height and width'),
        (('--slice', 128, 128, '--overlap', 1), '--overlap is the share'),
        (('--overlap', 0.2), '--overlap applies to sliced inference'),
    ]:
        code, _, err = run_main(infer_tool.main, [
            workspace['config'], workspace['checkpoint'], image, *extra])
        assert code == 1, extra
        (line, ) = err.strip().splitlines()
        assert line.startswith('infer.py: error: ') and message in line, line


def test_deploy_infer_slices_an_exported_file(workspace, tmp_path, run_main):
    """The exported detector serves tiles: the grid, sliced, gives its cells'
    predictions by the same file."""
    from shufflenet_backbones.toolkit.deploy.export import export_model
    onnx_file = str(tmp_path / 'det.onnx')
    export_model(workspace['cfg'], workspace['model'], onnx_file, dynamic=True)

    whole = tmp_path / 'whole'
    code, _, err = run_main(deploy_infer_tool.main, [
        onnx_file, *workspace['images'], '--out-dir', whole, '--score-thr', 0])
    assert code == 0, err[-2000:]
    sliced = tmp_path / 'sliced'
    code, out, err = run_main(deploy_infer_tool.main, [
        onnx_file, workspace['grid'], '--out-dir', sliced, '--score-thr', 0,
        '--slice', SIDE, SIDE, '--overlap', 0, '--no-whole-image'])
    assert code == 0, err[-2000:]
    assert f'{workspace["grid"]}: ' in out
    assert (sliced / 'vis' / 'grid.png').is_file()
    pred = read_preds(sliced)['grid']
    assert len(pred['labels']) > GRID * GRID
    assert_same(merged_cells(read_preds(whole), workspace['images']), pred)

    code, _, err = run_main(deploy_infer_tool.main, [
        onnx_file, workspace['grid'], '--slice', SIDE, 0])
    assert code == 1
    (line, ) = err.strip().splitlines()
    assert line.startswith('infer.py: error: --slice takes'), line


def test_test_bad_slice_option_is_one_line(workspace, run_main):
    code, _, err = run_main(test_tool.main, [
        workspace['config'], workspace['checkpoint'], '--slice', SIDE, SIDE,
        '--overlap', 2])
    assert code == 1
    (line, ) = err.strip().splitlines()
    assert line.startswith('test.py: error: --overlap is the share'), line


def coco_metrics(log: str) -> Dict[str, float]:
    """The ``coco/bbox_*`` figures of a tools/test.py log."""
    (line, ) = [line for line in log.splitlines() if 'coco/bbox_mAP:' in line]
    words = line.split()
    return {word[:-1]: float(value) for word, value in zip(words, words[1:])
            if word.startswith('coco/')}


def test_test_sliced_evaluates_as_whole_with_one_tile(workspace, run_tool, tmp_path):
    """tools/test.py --slice through the config's test loop and COCO metric: with
    a tile covering each image, the same predictions and mAP as without."""
    data = workspace['tmp'] / 'data'
    options = ['--cfg-options', f'test_dataloader.dataset.data_root={data}/',
               'test_dataloader.num_workers=0',
               'test_dataloader.persistent_workers=False',
               f'test_evaluator.ann_file={data}/annotations/instances_val.json']
    results, metrics = {}, {}
    for name, extra in (('whole', []),
                        ('sliced', ['--slice', SIDE, SIDE, '--overlap', 0])):
        out = tmp_path / f'{name}.pkl'
        result = run_tool(TEST, workspace['config'], workspace['checkpoint'],
                          '--work-dir', tmp_path / name, '--out', out, *extra,
                          *options)
        assert result.returncode == 0, result.stderr[-3000:]
        log = result.stdout + result.stderr
        metrics[name] = coco_metrics(log)
        results[name] = mmengine.load(out)
    assert 'sliced test: 128x128 tiles, overlap 0' in log
    assert {'coco/bbox_mAP', 'coco/bbox_mAP_50'} <= metrics['sliced'].keys()
    assert metrics['sliced'] == metrics['whole']
    assert len(results['sliced']) == GRID * GRID
    for want, got in zip(results['whole'], results['sliced']):
        assert got['img_id'] == want['img_id']
        assert_same({k: v.tolist() for k, v in want['pred_instances'].items()},
                    {k: v.tolist() for k, v in got['pred_instances'].items()})
