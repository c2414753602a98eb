"""The anchor check (shufflenet_backbones/toolkit/data/anchor_check.py): box sizes at
the train pipeline's scale (mmcv's Resize rules), the base anchors any generator
builds, shape IoUs, the figures and the warning, and the k-means fit that keeps
the number of anchors per location. Every test runs in well under a second but
the quickstart-data ones (a generated dataset, about a second)."""
import json
from pathlib import Path

import numpy as np
import pytest
from mmengine import Config

from shufflenet_backbones.toolkit.data import anchor_check as ac
from shufflenet_backbones.toolkit.data import generate_shapes_coco
from shufflenet_backbones.toolkit.errors import CLIError

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / 'configs/det/lighthead_shufflenetv2_shapes_demo.py'
THUNDERNET = ROOT / 'configs/det/thundernet_snet146_coco.py'


def coco(boxes, width=200, height=100, **ann):
    """A COCO dict of one image of ``width`` x ``height`` with these boxes."""
    return dict(
        images=[dict(id=1, file_name='a.png', width=width, height=height)],
        annotations=[dict(id=i + 1, image_id=1, category_id=1, bbox=list(b),
                          area=b[2] * b[3], **ann) for i, b in enumerate(boxes)],
        categories=[dict(id=1, name='thing')])


def demo_cfg(data_root) -> Config:
    cfg = Config.fromfile(str(DEMO))
    cfg.train_dataloader.dataset.data_root = str(data_root)
    return cfg


@pytest.fixture(scope='module')
def quickstart_data(tmp_path_factory):
    """The quickstart's data (tools/data/generate_shapes_coco.py defaults), fewer
    images."""
    root = tmp_path_factory.mktemp('shapes') / 'data'
    generate_shapes_coco(str(root), num_train=60, num_val=1)
    return root


@pytest.fixture(scope='module')
def small_data(tmp_path_factory):
    """Objects of 6-13 px in 128 px images: far below the demo's 32 px anchors."""
    root = tmp_path_factory.mktemp('small') / 'data'
    generate_shapes_coco(str(root), num_train=60, num_val=1, max_objects=3,
                         size_range=(0.05, 0.1))
    return root


# ---------------------------------------------------------------------------------
# the train scale


@pytest.mark.parametrize('step, expected', [
    (dict(type='Resize', scale=(1333, 800), keep_ratio=True),
     [dict(scale=(1333., 800.), keep_ratio=True)]),
    (dict(type='mmdet.Resize', scale=128),
     [dict(scale=(128., 128.), keep_ratio=False)]),
    (dict(type='Resize', scale_factor=0.5, keep_ratio=True),
     [dict(scale_factor=(0.5, 0.5), keep_ratio=True)]),
    (dict(type='RandomChoiceResize', scales=[(240, 240), (480, 480)]),
     [dict(scale=(240., 240.), keep_ratio=False),
      dict(scale=(480., 480.), keep_ratio=False)]),
    (dict(type='RandomResize', scale=[(1333, 640), (1333, 800)], keep_ratio=True),
     [dict(scale=(1333., 640.), keep_ratio=True),
      dict(scale=(1333., 800.), keep_ratio=True)]),
    (dict(type='RandomResize', scale=(100, 50), ratio_range=(0.5, 2.0)),
     [dict(scale=(50., 25.), keep_ratio=False),
      dict(scale=(200., 100.), keep_ratio=False)]),
])
def test_train_resize_scales_reads_the_first_resize_step(step, expected):
    pipeline = [dict(type='LoadImageFromFile'), step,
                dict(type='Resize', scale=(1, 1))]  # later steps are ignored
    scales, text = ac.train_resize_scales(pipeline)
    assert scales == expected
    assert str(step['type']).split('.')[-1] in text


def test_train_resize_scales_without_a_resize_step():
    scales, text = ac.train_resize_scales([dict(type='RandomFlip')])
    assert scales == [] and 'annotated size' in text


def test_box_sizes_follow_mmcvs_resize_rules():
    data = coco([(0, 0, 50, 20)])  # in a 200 x 100 image
    # keep_ratio: the image fits inside 128 x 128 -> factor min(128/200, 128/100)
    keep = ac.box_sizes(data, [dict(scale=(128., 128.), keep_ratio=True)])
    np.testing.assert_allclose(keep, [[32., 12.8]])
    # the long edge goes to the scale's long edge: (800, 1333) is (1333, 800)
    long_short = ac.box_sizes(data, [dict(scale=(800., 1333.), keep_ratio=True)])
    np.testing.assert_allclose(long_short, [[50 * 6.665, 20 * 6.665]], rtol=1e-3)
    # ... or the short edge to the short edge, whichever is smaller: x4 here
    short = ac.box_sizes(data, [dict(scale=(1333., 400.), keep_ratio=True)])
    np.testing.assert_allclose(short, [[200., 80.]])
    # no keep_ratio: stretched to the scale
    stretched = ac.box_sizes(data, [dict(scale=(128., 128.), keep_ratio=False)])
    np.testing.assert_allclose(stretched, [[32., 25.6]])
    halved = ac.box_sizes(data, [dict(scale_factor=(0.5, 0.5), keep_ratio=True)])
    np.testing.assert_allclose(halved, [[25., 10.]])
    # no resize step: the annotated size; two scales: every box twice
    np.testing.assert_allclose(ac.box_sizes(data, []), [[50., 20.]])
    assert ac.box_sizes(data, [dict(scale=(64., 64.), keep_ratio=True)] * 2).shape \
        == (2, 2)


def test_box_sizes_leave_out_what_mmdet_does_not_train_on():
    data = coco([(0, 0, 10, 10), (0, 0, 0.5, 10), (0, 0, 10, 10)])
    data['annotations'][2]['iscrowd'] = 1
    assert len(ac.box_sizes(data, [])) == 1
    data['categories'].append(dict(id=2, name='other'))
    data['annotations'][0]['category_id'] = 2
    assert len(ac.box_sizes(data, [], classes=('thing', ))) == 0
    assert len(ac.box_sizes(data, [], classes=('other', ))) == 1


# ---------------------------------------------------------------------------------
# anchors and IoU


def test_shape_iou():
    boxes = np.array([[10., 10.], [20., 5.]])
    anchors = np.array([[10., 10.], [10., 20.], [5., 5.]])
    np.testing.assert_allclose(ac.shape_iou(boxes, anchors),
                               [[1., 0.5, 0.25], [50 / 150, 50 / 250, 25 / 100]])


def test_anchor_shapes_are_the_generators_base_anchors():
    shapes = ac.anchor_shapes(dict(type='AnchorGenerator', strides=[16],
                                   scales=[2, 4], ratios=[0.5, 1.0, 2.0]))
    assert shapes.shape == (6, 2)
    np.testing.assert_allclose(sorted(np.sqrt(shapes.prod(1))), [32] * 3 + [64] * 3,
                               rtol=1e-5)
    np.testing.assert_allclose(sorted(set(np.round(shapes[:, 1] / shapes[:, 0], 3))),
                               [0.5, 1., 2.])
    # RetinaNet's octave form, over levels: 4 x 2^(i/2) x stride
    retina = ac.anchor_shapes(dict(type='AnchorGenerator', octave_base_scale=4,
                                   scales_per_octave=2, ratios=[1.0],
                                   strides=[8, 16]))
    np.testing.assert_allclose(sorted(retina[:, 0]),
                               sorted([32, 32 * 2 ** .5, 64, 64 * 2 ** .5]), rtol=1e-5)


def test_anchor_generator_of_finds_rpn_light_rpn_and_one_stage_heads():
    cfg = Config.fromfile(str(THUNDERNET))  # LightRPNHead, 5 x 5 anchors
    where, generator, key = ac.anchor_generator_of(cfg)
    assert (where, key) == ('model.rpn_head.anchor_generator', 'rpn')
    assert len(ac.anchor_shapes(generator)) == 25
    assert ac.assigner_thresholds(cfg, key) == (0.7, 0.3)
    retina = dict(model=dict(
        bbox_head=dict(anchor_generator=dict(type='AnchorGenerator', strides=[8],
                                             scales=[4], ratios=[1.0])),
        train_cfg=dict(assigner=dict(pos_iou_thr=0.5, min_pos_iou=0))))
    where, _, key = ac.anchor_generator_of(retina)
    assert (where, key) == ('model.bbox_head.anchor_generator', '')
    assert ac.assigner_thresholds(retina, key) == (0.5, 0.)
    # an assigner without thresholds (ATSS): the RPN's usual ones
    assert ac.assigner_thresholds(dict(model=dict()), '') == (0.7, 0.3)
    # no low-quality matching: nothing below pos_iou_thr is positive
    strict = dict(model=dict(train_cfg=dict(assigner=dict(
        pos_iou_thr=0.6, min_pos_iou=0.3, match_low_quality=False))))
    assert ac.assigner_thresholds(strict, '') == (0.6, 0.6)
    with pytest.raises(CLIError, match='anchor-free'):
        ac.anchor_generator_of(dict(model=dict(bbox_head=dict(type='FCOSHead'))))


# ---------------------------------------------------------------------------------
# the check


def test_check_on_the_quickstart_data_passes(quickstart_data):
    check = ac.check_anchors(demo_cfg(quickstart_data))
    assert check.num_boxes > 60 and check.anchors.shape == (9, 2)
    assert check.ann_files == (str(quickstart_data /
                                   'annotations/instances_train.json'), )
    assert 'Resize (128, 128), keep_ratio=True' in check.scales
    assert (check.pos_iou_thr, check.min_pos_iou) == (0.7, 0.3)
    assert check.smallest_anchor == pytest.approx(32)
    # objects of 25-77 px against anchors of 32, 64 and 128 px
    assert 30 < check.median_size < 65
    assert 0.1 < check.share_below_pos < ac.UNMATCHED_WARN_SHARE
    assert check.share_below_min_pos == 0
    assert ac.check_warning(check) is None
    lines = ac.describe_check(check)
    assert lines[0].startswith(f'anchor check: {check.num_boxes} boxes of ')
    assert 'sizes 32, 64, 128 px, ratios h/w 0.5, 1, 2' in lines[3]
    assert f'below pos_iou_thr 0.7: {check.share_below_pos:.1%}' in lines[4]
    assert 'below min_pos_iou 0.3: 0.0%' in lines[4]


def test_check_warns_on_small_objects(small_data):
    check = ac.check_anchors(demo_cfg(small_data))
    assert check.median_size < check.smallest_anchor
    assert check.share_below_min_pos > 0.9
    warning = ac.check_warning(check)
    assert warning.startswith('warning: the anchors (model.rpn_head.anchor_generator)')
    assert 'get no positive anchor' in warning and 'smaller than the smallest' in \
        warning and '--auto-anchors' in warning
    assert '--auto-anchors' not in ac.check_warning(check, fitted=True)
    assert '<' in ac.describe_check(check)[-1]


@pytest.mark.parametrize('below_pos, below_min, median, warns', [
    (ac.UNMATCHED_WARN_SHARE + 0.01, 0, 40, True),
    (ac.UNMATCHED_WARN_SHARE - 0.01, 0, 40, False),
    (0, ac.NO_POSITIVE_WARN_SHARE + 0.01, 40, True),
    (0, 0, 31, True),
])
def test_warning_thresholds(below_pos, below_min, median, warns):
    n = 1000
    best = np.full(n, 0.9)
    best[:int(round(below_pos * n))] = 0.6
    best[:int(round(below_min * n))] = 0.1
    check = ac.AnchorCheck(np.full((n, 2), float(median)), np.array([[32., 32.]]),
                           best, 0.7, 0.3, 'model.rpn_head.anchor_generator',
                           ('a.json', ), 'Resize')
    assert (ac.check_warning(check) is not None) is warns


def test_check_reads_every_leaf_and_its_classes(tmp_path):
    ann = tmp_path / 'a.json'
    data = coco([(0, 0, 50, 50)], width=100, height=100)
    data['categories'].append(dict(id=2, name='other'))
    data['annotations'].append(dict(id=2, image_id=1, category_id=2,
                                    bbox=[0, 0, 20, 20], area=400))
    ann.write_text(json.dumps(data))
    leaf = dict(type='CocoDataset', ann_file=str(ann), metainfo=dict(
        classes=('thing', )), pipeline=[dict(type='Resize', scale=(200, 200),
                                             keep_ratio=True)])
    model = dict(rpn_head=dict(anchor_generator=dict(
        type='AnchorGenerator', strides=[16], scales=[8], ratios=[1.0])))
    cfg = dict(model=model, train_dataloader=dict(dataset=dict(
        type='ConcatDataset', datasets=[leaf, dict(leaf, metainfo=None)])))
    check = ac.check_anchors(cfg)
    # the first leaf: its one class; the second: both; all at 2x
    np.testing.assert_allclose(sorted(check.sizes[:, 0]), [40, 100, 100])
    assert check.ann_files == (str(ann), str(ann))


def test_check_errors_name_the_file_or_field(tmp_path):
    model = dict(rpn_head=dict(anchor_generator=dict(
        type='AnchorGenerator', strides=[16], scales=[8], ratios=[1.0])))
    with pytest.raises(CLIError, match='train_dataloader.dataset.ann_file: .*COCO'):
        ac.check_anchors(dict(model=model, train_dataloader=dict(dataset=dict(
            type='VOCDataset', ann_file='ImageSets/Main/trainval.txt'))))
    with pytest.raises(CLIError, match='missing.json'):
        ac.check_anchors(dict(model=model, train_dataloader=dict(dataset=dict(
            type='CocoDataset', data_root=str(tmp_path), ann_file='missing.json'))))
    empty = tmp_path / 'empty.json'
    empty.write_text(json.dumps(coco([])))
    with pytest.raises(CLIError, match='empty.json: annotations: no boxes'):
        ac.check_anchors(dict(model=model, train_dataloader=dict(dataset=dict(
            type='CocoDataset', ann_file=str(empty)))))
    with pytest.raises(CLIError, match='no train_dataloader'):
        ac.check_anchors(dict(model=model))


# ---------------------------------------------------------------------------------
# fitting


def test_kmeans_1d_is_deterministic_and_finds_the_clusters():
    values = np.concatenate([np.full(10, 1.), np.full(5, 5.), np.full(20, 9.)])
    np.random.RandomState(0).shuffle(values)
    np.testing.assert_allclose(ac._kmeans_1d(values, 3), [1., 5., 9.])
    np.testing.assert_allclose(ac._kmeans_1d(values, 3), ac._kmeans_1d(values, 3))


def test_fit_log_scales_on_levels_fits_relative_to_each_levels_base():
    # boxes of 2x each level's base size (strides 8, 16, 32): one scale, 2 (one
    # start alone may stop at 2^(5/3), the boxes a level off)
    log_bases = np.log([8., 16., 32.])
    log_sizes = np.log(np.repeat([16., 32., 64.], 10))
    np.testing.assert_allclose(np.exp(ac._fit_log_scales(log_sizes, log_bases, 1)),
                               [2.])
    # 1.5x and 3x: two scales
    log_sizes = np.log(np.concatenate([np.repeat([12., 24., 48.], 5),
                                       np.repeat([24., 48., 96.], 5)]))
    np.testing.assert_allclose(np.exp(ac._fit_log_scales(log_sizes, log_bases, 2)),
                               [1.5, 3.])
    # one level: plain k-means
    values = np.log(np.random.RandomState(0).uniform(10, 100, 50))
    np.testing.assert_allclose(ac._fit_log_scales(values, np.log([16.]), 3),
                               ac._kmeans_1d(values - np.log(16.), 3))


def test_auto_anchors_fit_small_objects(small_data):
    cfg = demo_cfg(small_data)
    fit = ac.fit_anchors(cfg)
    assert len(fit.scales) == 3 and len(fit.ratios) == 3  # 9 per location, as built
    assert fit.improved
    assert fit.after.share_below_pos < fit.before.share_below_pos
    assert fit.after.share_below_min_pos < 0.05 < fit.before.share_below_min_pos
    assert max(fit.scales) < 1  # x stride 16: objects of 6-13 px
    # fit_anchors leaves the config alone; apply_fit writes the fitted values
    assert cfg.model.rpn_head.anchor_generator.scales == [2, 4, 8]
    assert ac.apply_fit(cfg, fit)
    generator = cfg.model.rpn_head.anchor_generator
    assert (generator.scales, generator.ratios) == (fit.scales, fit.ratios)
    built = ac._build_generator(generator)
    assert built.num_base_priors == [9]
    lines = ac.describe_fit(fit)
    assert f'{fit.before.share_below_pos:.1%} -> {fit.after.share_below_pos:.1%}' \
        in lines[1]


def test_auto_anchors_replace_retinanets_octave_scales(small_data):
    cfg = demo_cfg(small_data)
    cfg.model.rpn_head.anchor_generator = dict(
        type='AnchorGenerator', octave_base_scale=4, scales_per_octave=3,
        ratios=[0.5, 1.0, 2.0], strides=[8, 16, 32])
    fit = ac.fit_anchors(cfg)
    assert fit.improved and ac.apply_fit(cfg, fit)
    generator = cfg.model.rpn_head.anchor_generator
    assert 'octave_base_scale' not in generator
    assert 'scales_per_octave' not in generator
    assert ac._build_generator(generator).num_base_priors == [9, 9, 9]


def test_auto_anchors_keep_anchors_that_already_fit(tmp_path):
    ann = tmp_path / 'a.json'
    ann.write_text(json.dumps(coco([(0, 0, s, s) for s in (32, 64, 128) * 4],
                                   width=512, height=512)))
    cfg = dict(
        model=dict(rpn_head=dict(anchor_generator=dict(
            type='AnchorGenerator', strides=[16], scales=[2, 4, 8],
            ratios=[1.0]))),
        train_dataloader=dict(dataset=dict(type='CocoDataset', ann_file=str(ann))))
    fit = ac.fit_anchors(cfg)
    assert not fit.improved
    assert not ac.apply_fit(cfg, fit)
    assert cfg['model']['rpn_head']['anchor_generator']['scales'] == [2, 4, 8]
    assert 'are kept' in ac.describe_fit(fit)[-1]


def test_auto_anchors_need_an_anchor_generator_they_can_fit(small_data):
    cfg = demo_cfg(small_data)
    cfg.model.rpn_head.anchor_generator = dict(
        type='SSDAnchorGenerator', strides=[16], ratios=[[2]], basesize_ratio_range=(
            0.1, 0.9), input_size=128)
    with pytest.raises(CLIError, match='anchor_generator.type: .*SSDAnchorGenerator'):
        ac.fit_anchors(cfg)
