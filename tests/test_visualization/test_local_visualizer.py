"""The upscaling visualizers: small images are drawn at least ``min_size`` pixels
on the long side, with boxes, masks and label maps where they belong at that size;
the caller's data sample is left alone; both are registered where the demo configs
build them. A few seconds on 2 CPU cores."""
import copy
import itertools
from pathlib import Path

import mmcv
import numpy as np
import pytest
import torch
from mmdet.registry import VISUALIZERS as DET_VISUALIZERS
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks, PolygonMasks
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData, PixelData
from mmengine.visualization import Visualizer
from mmseg.registry import VISUALIZERS as SEG_VISUALIZERS
from mmseg.structures import SegDataSample
from mmseg.visualization import SegLocalVisualizer

import shufflenet_backbones  # noqa: F401  (registers the visualizers)
from shufflenet_backbones.visualization import (UpscaledDetLocalVisualizer,
                                                UpscaledSegLocalVisualizer,
                                                upscale_sample)

ROOT = Path(__file__).parents[2]
GREY = 128
RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)
# the demos' image size, non-square here: 96 high, 128 wide -> 384 x 512
HEIGHT, WIDTH = 96, 128
SCALE = 4
NAMES = itertools.count()


def grey_image(height=HEIGHT, width=WIDTH):
    return np.full((height, width, 3), GREY, dtype=np.uint8)


def is_colour(pixel, colour, tol=70):
    """``pixel`` is ``colour`` blended at mmdet's / mmseg's alpha 0.8 over grey."""
    expected = 0.8 * np.array(colour) + 0.2 * GREY
    return bool(np.abs(pixel.astype(float) - expected).max() < tol)


def drawn(visualizer, image, sample, tmp_path, **kwargs):
    """What ``add_datasample`` saves (RGB)."""
    out_file = str(tmp_path / 'drawn.png')
    visualizer.add_datasample('image', image, sample, out_file=out_file, **kwargs)
    return mmcv.imread(out_file, channel_order='rgb')


def det_visualizer(**kwargs):
    # mmengine keeps visualizers by name: a fresh name, a fresh instance
    visualizer = UpscaledDetLocalVisualizer(name=f'det{next(NAMES)}', **kwargs)
    visualizer.dataset_meta = dict(classes=('a', 'b'), palette=[RED, GREEN])
    return visualizer


def det_sample(box=(10., 20., 60., 70.), label=0, score=None):
    instances = InstanceData(bboxes=torch.tensor([box]),
                             labels=torch.tensor([label]))
    if score is not None:
        instances.scores = torch.tensor([score])
    return instances


# ---------------------------------------------------------------------------------
# registration, and the demo configs


def test_registered_in_mmdet_and_mmseg():
    assert DET_VISUALIZERS.get('UpscaledDetLocalVisualizer') \
        is UpscaledDetLocalVisualizer
    assert SEG_VISUALIZERS.get('UpscaledSegLocalVisualizer') \
        is UpscaledSegLocalVisualizer
    # each only where its parent is
    assert DET_VISUALIZERS.get('UpscaledSegLocalVisualizer') is None
    assert SEG_VISUALIZERS.get('UpscaledDetLocalVisualizer') is None


@pytest.mark.parametrize('config,registry,cls', [
    ('configs/det/lighthead_shufflenetv2_shapes_demo.py', DET_VISUALIZERS,
     UpscaledDetLocalVisualizer),
    ('configs/seg/fcn_shufflenetv2_shapes_demo.py', SEG_VISUALIZERS,
     UpscaledSegLocalVisualizer),
])
def test_demo_configs_build_the_upscaling_visualizers(config, registry, cls):
    cfg = Config.fromfile(ROOT / config)
    visualizer_cfg = copy.deepcopy(cfg.visualizer)
    visualizer_cfg.name = f'demo_{cls.__name__}'  # instances are named globally
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        visualizer = registry.build(visualizer_cfg)
    assert type(visualizer) is cls and visualizer.min_size == 512
    # the base runtime's local backend is kept: --show-dir still saves files
    assert [b['type'] for b in cfg.visualizer.vis_backends] == ['LocalVisBackend']


# ---------------------------------------------------------------------------------
# detection


def test_det_draws_large_with_boxes_at_the_scaled_positions(tmp_path):
    sample = DetDataSample(gt_instances=det_sample(label=0),
                           pred_instances=det_sample(label=1, score=0.9))
    image = drawn(det_visualizer(), grey_image(), sample, tmp_path)
    # ground truth left, prediction right, each scaled 4x: 384 x (2 x 512)
    assert image.shape == (HEIGHT * SCALE, 2 * WIDTH * SCALE, 3)
    x1, y1, x2, y2 = (SCALE * v for v in (10, 20, 60, 70))
    y_mid = (y1 + y2) // 2  # mid-height: away from the label at the top left
    for offset, colour in ((0, RED), (WIDTH * SCALE, GREEN)):  # GT, prediction
        for x in (x1, x2):  # left and right edges where the scaled box is
            assert is_colour(image[y_mid, offset + x], colour), (offset, x)
        # nothing at the unscaled box's left edge, nor inside the box
        assert is_colour(image[y_mid, offset + 10], (GREY, ) * 3, tol=20)
        assert is_colour(image[y_mid, offset + (x1 + x2) // 2], (GREY, ) * 3,
                         tol=20)


def test_det_labels_are_drawn_at_min_font_size(tmp_path, monkeypatch):
    sizes = []
    draw_texts = Visualizer.draw_texts

    def record(self, texts, positions, font_sizes=None, **kwargs):
        sizes.append(font_sizes)
        return draw_texts(self, texts, positions, font_sizes=font_sizes, **kwargs)

    monkeypatch.setattr(Visualizer, 'draw_texts', record)
    # a 40 x 40 box: 160 x 160 px when drawn, which mmdet labels at half size (6)
    sample = DetDataSample(gt_instances=det_sample(box=(10., 10., 50., 50.)))
    drawn(det_visualizer(), grey_image(), sample, tmp_path)
    assert sizes == [13]
    sizes.clear()
    drawn(det_visualizer(min_font_size=20), grey_image(), sample, tmp_path)
    assert sizes == [20]


def test_det_masks_are_scaled_with_the_image(tmp_path):
    masks = torch.zeros((1, HEIGHT, WIDTH), dtype=torch.bool)
    masks[0, 10:20, 30:50] = True
    instances = det_sample(box=(30., 10., 50., 20.), score=0.9)
    instances.masks = masks
    sample = DetDataSample(pred_instances=instances)
    image = drawn(det_visualizer(), grey_image(), sample, tmp_path, draw_gt=False)
    assert image.shape == (HEIGHT * SCALE, WIDTH * SCALE, 3)
    # mmdet jitters mask colours a little: the red channel dominates, that is all
    y, x = SCALE * 18, SCALE * 40  # inside the scaled mask, below the label
    assert image[y, x, 0] > 150 and image[y, x, 1] < 100, image[y, x]
    assert (image[18, 45] == GREY).all()  # the unscaled mask: not drawn there


def test_large_images_are_drawn_unchanged(tmp_path):
    sample = DetDataSample(gt_instances=det_sample())
    image = drawn(det_visualizer(), grey_image(600, 800), sample, tmp_path,
                  draw_pred=False)
    assert image.shape == (600, 800, 3)
    assert is_colour(image[45, 10], RED)  # the box where it was given
    assert upscale_sample(grey_image(600, 800), sample, 512)[1] is sample


def test_min_size_is_checked():
    with pytest.raises(ValueError, match='min_size'):
        UpscaledDetLocalVisualizer(name='bad_det', min_size=0)
    with pytest.raises(ValueError, match='min_size'):
        UpscaledSegLocalVisualizer(name='bad_seg', min_size=-1)


def test_upscale_sample_scales_every_geometry_and_leaves_the_input_alone():
    masks = np.zeros((1, HEIGHT, WIDTH), dtype=np.uint8)
    masks[0, 10:20, 30:50] = 1
    polygon = [np.array([30., 10., 50., 10., 50., 20.])]
    sample = DetDataSample(
        gt_instances=InstanceData(
            bboxes=HorizontalBoxes(torch.tensor([[10., 20., 60., 70.]])),
            labels=torch.tensor([0]),
            masks=BitmapMasks(masks, HEIGHT, WIDTH)),
        pred_instances=InstanceData(
            bboxes=torch.tensor([[1., 2., 3., 4.]]), labels=torch.tensor([1]),
            scores=torch.tensor([0.5]),
            masks=PolygonMasks([polygon], HEIGHT, WIDTH)),
        gt_sem_seg=PixelData(sem_seg=torch.zeros((1, HEIGHT, WIDTH),
                                                 dtype=torch.int64)))
    sample.set_metainfo(dict(img_shape=(HEIGHT, WIDTH)))
    before = copy.deepcopy(sample)

    image, big = upscale_sample(grey_image(), sample, 512)
    assert image.shape == (HEIGHT * SCALE, WIDTH * SCALE, 3)
    assert big.gt_instances.bboxes.tensor.tolist() == [[40., 80., 240., 280.]]
    assert big.pred_instances.bboxes.tolist() == [[4., 8., 12., 16.]]
    bitmap = big.gt_instances.masks
    assert isinstance(bitmap, BitmapMasks)
    assert bitmap.masks.shape == (1, HEIGHT * SCALE, WIDTH * SCALE)
    assert bitmap.masks.sum() == masks.sum() * SCALE**2  # nearest: still 0 / 1
    polygons = big.pred_instances.masks
    assert isinstance(polygons, PolygonMasks)
    assert polygons.masks[0][0].tolist() == [120., 40., 200., 40., 200., 80.]
    assert big.gt_sem_seg.sem_seg.shape == (1, HEIGHT * SCALE, WIDTH * SCALE)
    assert big.gt_sem_seg.sem_seg.dtype == torch.int64
    assert big.metainfo == sample.metainfo
    assert torch.equal(big.pred_instances.scores, sample.pred_instances.scores)

    # the caller's sample is as it was (mmdet's scale_boxes works in place)
    assert torch.equal(sample.gt_instances.bboxes.tensor,
                       before.gt_instances.bboxes.tensor)
    assert torch.equal(sample.pred_instances.bboxes, before.pred_instances.bboxes)
    assert (sample.gt_instances.masks.masks == masks).all()
    assert sample.pred_instances.masks.masks[0][0].tolist() == polygon[0].tolist()
    assert sample.gt_sem_seg.sem_seg.shape == (1, HEIGHT, WIDTH)


def test_det_add_datasample_leaves_the_sample_alone(tmp_path):
    sample = DetDataSample(gt_instances=det_sample(),
                           pred_instances=det_sample(score=0.9))
    before = copy.deepcopy(sample)
    drawn(det_visualizer(), grey_image(), sample, tmp_path)
    for key in ('gt_instances', 'pred_instances'):
        assert torch.equal(sample.get(key).bboxes, before.get(key).bboxes), key


# ---------------------------------------------------------------------------------
# segmentation


def seg_visualizer():
    visualizer = UpscaledSegLocalVisualizer(name='seg')
    # (mmseg's __init__ passes classes and palette to set_dataset_meta swapped)
    visualizer.dataset_meta = dict(classes=('bg', 'thing'), palette=[BLUE, RED])
    return visualizer


def test_seg_draws_large_with_label_maps_scaled(tmp_path):
    labels = torch.zeros((1, HEIGHT, WIDTH), dtype=torch.int64)
    labels[0, 8:24, 16:48] = 1
    sample = SegDataSample(gt_sem_seg=PixelData(data=labels),
                           pred_sem_seg=PixelData(data=labels.clone()))
    before = copy.deepcopy(sample)
    image = drawn(seg_visualizer(), grey_image(), sample, tmp_path)
    assert image.shape == (HEIGHT * SCALE, 2 * WIDTH * SCALE, 3)
    for offset in (0, WIDTH * SCALE):  # ground truth, prediction
        # inside the scaled region, near its bottom (the label is at its top)
        assert is_colour(image[SCALE * 22, offset + SCALE * 20], RED)
        # inside the unscaled region only: background
        assert is_colour(image[12, offset + 20], BLUE)
    assert torch.equal(sample.gt_sem_seg.data, before.gt_sem_seg.data)
    assert sample.pred_sem_seg.data.shape == (1, HEIGHT, WIDTH)


def test_seg_label_position_is_mmsegs():
    """The numpy ``_get_center_loc`` finds mmseg's point for any mask."""
    ours = UpscaledSegLocalVisualizer(name='seg_loc')
    mmseg = SegLocalVisualizer(name='seg_loc_mmseg')
    rng = np.random.RandomState(0)
    for _ in range(100):
        shape = rng.randint(1, 30, size=2)
        mask = (rng.rand(*shape) < rng.rand()).astype(np.uint8)
        mask[rng.randint(shape[0]), rng.randint(shape[1])] = 1  # never empty
        assert ours._get_center_loc(mask).tolist() \
            == mmseg._get_center_loc(mask).tolist()
