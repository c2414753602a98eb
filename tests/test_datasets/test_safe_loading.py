"""Bad input: the safe loading transforms, the bad-sample hook, and a training run
on a shapes dataset with truncated images, a wrong annotated size and a label
outside the classes (issue 12)."""
import json
import logging
import os.path as osp

import cv2
import mmdet
import numpy as np
import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope

from shufflenet_backbones.datasets import (SafeLoadImageFromFile,
                                           SafeLoadSegAnnotations,
                                           loads_safely, with_safe_loading)
from shufflenet_backbones.datasets.bad_samples import (BAD_SAMPLES_ENV,
                                                       check_image_bytes,
                                                       read_bad_samples)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TRAIN = osp.join(ROOT, 'tools', 'train.py')


def _write(path, img):
    assert cv2.imwrite(str(path), img)
    return str(path)


def _truncate(path):
    with open(path, 'rb') as f:
        data = f.read()
    with open(path, 'wb') as f:
        f.write(data[:len(data) // 2])


@pytest.fixture
def images(tmp_path):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)
    return {ext: _write(tmp_path / f'img.{ext}', img) for ext in ('png', 'jpg')}


@pytest.fixture
def warnings_seen():
    """The messages MMLogger's current instance warns with."""
    seen = []

    class Catch(logging.Handler):
        def emit(self, record):
            seen.append(record.getMessage())

    logger = MMLogger.get_current_instance()
    handler = Catch(level=logging.WARNING)
    logger.addHandler(handler)
    yield seen
    logger.removeHandler(handler)


@pytest.mark.parametrize('ext', ['png', 'jpg'])
def test_whole_image_loads(images, ext):
    results = SafeLoadImageFromFile()(dict(img_path=images[ext]))
    assert results['img'].shape == (48, 64, 3)


@pytest.mark.parametrize('ext', ['png', 'jpg'])
def test_truncated_image_is_skipped_with_one_warning(images, ext, warnings_seen,
                                                     tmp_path, monkeypatch):
    record = str(tmp_path / 'record.jsonl')
    monkeypatch.setenv(BAD_SAMPLES_ENV, record)
    _truncate(images[ext])
    # OpenCV alone decodes half a file without raising: the check must see it
    assert check_image_bytes(open(images[ext], 'rb').read()) is not None
    assert SafeLoadImageFromFile()(dict(img_path=images[ext])) is None
    named = [m for m in warnings_seen if images[ext] in m]
    assert len(named) == 1, warnings_seen
    assert [r['file'] for r in read_bad_samples(record)] == [images[ext]]


def test_missing_and_garbage_files_are_skipped(tmp_path):
    garbage = tmp_path / 'garbage.png'
    garbage.write_bytes(b'not an image')
    load = SafeLoadImageFromFile()
    assert load(dict(img_path=str(garbage))) is None
    assert load(dict(img_path=str(tmp_path / 'missing.jpg'))) is None


def test_size_mismatch_skips_and_names_exif(images, warnings_seen):
    # annotated 64x48 (HxW) for a 48x64 image: what EXIF rotation looks like
    info = dict(img_path=images['png'], height=64, width=48)
    assert SafeLoadImageFromFile()(dict(info)) is None
    assert any('EXIF' in m and images['png'] in m for m in warnings_seen)
    # the annotated size agrees: loaded
    assert SafeLoadImageFromFile()(dict(info, height=48, width=64)) is not None


def test_placeholder_keeps_the_sample_for_evaluation(images):
    _truncate(images['png'])
    results = SafeLoadImageFromFile(on_bad='placeholder')(
        dict(img_path=images['png'], height=40, width=30))
    assert results['bad_sample'] is True
    assert results['img'].shape == (40, 30, 3) and not results['img'].any()
    assert results['ori_shape'] == (40, 30)


def test_bad_in_a_row_raises_naming_the_file(tmp_path):
    load = SafeLoadImageFromFile(max_bad_in_row=3)
    missing = str(tmp_path / 'gone.png')
    assert load(dict(img_path=missing)) is None
    assert load(dict(img_path=missing)) is None
    with pytest.raises(RuntimeError, match='3 samples in a row.*gone.png'):
        load(dict(img_path=missing))


def _seg_sample(tmp_path):
    img = _write(tmp_path / 'a.jpg', np.zeros((20, 30, 3), np.uint8))
    seg = _write(tmp_path / 'a.png', np.ones((20, 30), np.uint8))
    return dict(img_path=img, seg_map_path=seg, reduce_zero_label=False,
                seg_fields=[])


def test_truncated_label_map_is_skipped(tmp_path):
    sample = _seg_sample(tmp_path)
    loaded = SafeLoadSegAnnotations()(
        SafeLoadImageFromFile()(dict(sample, seg_fields=[])))
    assert (loaded['gt_seg_map'] == 1).all()
    _truncate(sample['seg_map_path'])
    results = SafeLoadImageFromFile()(dict(sample, seg_fields=[]))
    assert SafeLoadSegAnnotations()(results) is None
    blank = SafeLoadSegAnnotations(on_bad='placeholder')(
        SafeLoadImageFromFile()(dict(sample, seg_fields=[])))
    assert blank['bad_sample'] and (blank['gt_seg_map'] == 255).all()
    assert blank['gt_seg_map'].shape == (20, 30)


@pytest.mark.parametrize('scope', ['mmdet', 'mmseg', 'mmpretrain'])
def test_registered_for_each_library(scope):
    registry = __import__(f'{scope}.registry', fromlist=['TRANSFORMS']).TRANSFORMS
    assert registry.get('SafeLoadImageFromFile') is SafeLoadImageFromFile


# ---------------------------------------------------------------------------------
# acceptance: a training run on bad data


def _bad_shapes_data(root):
    from shufflenet_backbones.data import generate_shapes_coco
    generate_shapes_coco(root, num_train=50, num_val=10, image_size=64)
    ann = osp.join(root, 'annotations', 'instances_{}.json')
    with open(ann.format('train')) as f:
        train = json.load(f)
    truncated = osp.join(root, 'train', train['images'][0]['file_name'])
    _truncate(truncated)  # 1 of 50: 2 %
    # a label outside the classes (mmdet drops it)
    train['annotations'].append(dict(train['annotations'][0], id=10**6,
                                     category_id=99))
    with open(ann.format('train'), 'w') as f:
        json.dump(train, f)
    with open(ann.format('val')) as f:
        val = json.load(f)
    wrong = val['images'][0]
    wrong['width'], wrong['height'] = wrong['width'] * 2, wrong['height'] * 2
    with open(ann.format('val'), 'w') as f:
        json.dump(val, f)
    return truncated, osp.join(root, 'val', wrong['file_name'])


def _safe_config(tiny_det_config, data_root, max_bad_share=0.05):
    cfg = tiny_det_config(data_root)
    # the shipped configs' way: plain LoadImageFromFile steps, the runner makes
    # them safe
    cfg['runner_type'] = 'SafeLoadingRunner'
    cfg['train_dataloader']['sampler']['shuffle'] = False  # the bad one first
    for split in ('train', 'val'):  # skips happen in worker processes
        cfg[f'{split}_dataloader'].update(num_workers=1, persistent_workers=True)
    cfg['train_cfg'] = dict(type='IterBasedTrainLoop', max_iters=2, val_interval=2)
    cfg['custom_hooks'] = [dict(type='BadSampleHook', max_bad_share=max_bad_share)]
    cfg['custom_imports'] = dict(imports=['shufflenet_backbones',
                                          'shufflenet_backbones.engine'])
    return cfg


@pytest.fixture(scope='module')
def bad_data(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('bad_input')
    truncated, wrong_size = _bad_shapes_data(str(tmp / 'data'))
    return tmp, truncated, wrong_size


def test_training_survives_bad_samples(tiny_det_config, bad_data, run_tool):
    tmp, truncated, wrong_size = bad_data
    config = str(tmp / 'safe.py')
    Config(_safe_config(tiny_det_config, str(tmp / 'data'))).dump(config)
    result = run_tool(TRAIN, config, '--work-dir', str(tmp / 'work'))
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    assert f'Bad sample skipped: {truncated}' in log
    assert '1 of 50 training samples skipped' in log
    assert f'{wrong_size}: decoded size 64x64 (HxW) differs' in log
    assert 'skipped_images: 1' in log and 'images_evaluated: 9' in log
    assert 'bbox_mAP' in log


def test_mmdets_own_test_tool_loads_safely(tiny_det_config, bad_data, run_tool,
                                           tmp_path):
    """mmdet's tools/test.py (shipped in the package) builds ``runner_type``, so
    the safe loading holds there too: the image of the wrong annotated size is
    scored as a blank, counted, and the run ends with a score."""
    tmp, _, wrong_size = bad_data
    cfg = _safe_config(tiny_det_config, str(tmp / 'data'))
    config = str(tmp_path / 'safe.py')
    Config(cfg).dump(config)
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(cfg['model'])
    checkpoint = str(tmp_path / 'random.pth')
    torch.save({'state_dict': model.state_dict()}, checkpoint)
    mmdet_test = osp.join(osp.dirname(mmdet.__file__), '.mim', 'tools', 'test.py')
    result = run_tool(mmdet_test, config, checkpoint, '--work-dir',
                      str(tmp_path / 'work'))
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    assert f'Bad sample replaced by a blank: {wrong_size}' in log
    assert 'skipped_images: 1' in log and 'images_evaluated: 9' in log


def test_training_stops_past_the_bad_share(tiny_det_config, bad_data, run_tool):
    tmp, truncated, _ = bad_data
    config = str(tmp / 'strict.py')
    Config(_safe_config(tiny_det_config, str(tmp / 'data'),
                        max_bad_share=0.01)).dump(config)
    result = run_tool(TRAIN, config, '--work-dir', str(tmp / 'strict'))
    assert result.returncode == 1
    # one line, no traceback
    assert result.stderr.strip().splitlines()[-1] == (
        'train.py: error: 1 of 50 training samples (2.0%) could not be loaded, '
        f'more than max_bad_share=1.0%: {truncated}')
    assert 'Traceback' not in result.stderr


# ---------------------------------------------------------------------------------
# with_safe_loading: the config rewrite SafeLoadingRunner applies


def test_with_safe_loading_follows_wrappers_and_keeps_arguments():
    plain = dict(type='LoadImageFromFile', color_type='color_ignore_orientation')
    inner = dict(type='CocoDataset', pipeline=[dict(plain), dict(type='Resize')])
    loader = dict(batch_size=2, dataset=dict(
        type='ConcatDataset',
        datasets=[dict(type='RepeatDataset', times=2, dataset=inner),
                  dict(inner, pipeline=[dict(type='mmdet.LoadImageFromFile')])]))
    safe = with_safe_loading(loader, 'placeholder', max_bad_in_row=5)
    repeated, second = safe['dataset']['datasets']
    assert repeated['dataset']['pipeline'] == [
        dict(plain, type='SafeLoadImageFromFile', on_bad='placeholder',
             max_bad_in_row=5), dict(type='Resize')]
    assert second['pipeline'][0]['type'] == 'SafeLoadImageFromFile'
    # the given config is left as it was
    assert loader['dataset']['datasets'][0]['dataset']['pipeline'][0] == plain


def test_with_safe_loading_finds_the_class_of_new_style_configs():
    from mmcv.transforms import LoadImageFromFile
    loader = dict(dataset=dict(pipeline=[dict(type=LoadImageFromFile)]))
    step = with_safe_loading(loader, 'skip')['dataset']['pipeline'][0]
    assert step == dict(type='SafeLoadImageFromFile', on_bad='skip')


def test_bad_sample_hook_warns_when_the_runner_loads_plainly():
    """Runner.from_cfg ignores runner_type: the hook says so instead of counting
    nothing in silence."""
    from types import SimpleNamespace

    from mmcv.transforms import LoadImageFromFile
    from mmengine.dataset import Compose

    from shufflenet_backbones.engine import BadSampleHook
    warnings = []
    logger = SimpleNamespace(warning=warnings.append)
    plain = SimpleNamespace(pipeline=Compose([LoadImageFromFile()]))
    safe = SimpleNamespace(pipeline=Compose([SafeLoadImageFromFile()]))
    wrapped = SimpleNamespace(datasets=[safe, SimpleNamespace(dataset=plain)])
    assert loads_safely(safe) and not loads_safely(plain)
    assert not loads_safely(wrapped)
    hook = BadSampleHook()
    runner = SimpleNamespace(logger=logger,
                             test_dataloader=SimpleNamespace(dataset=safe),
                             val_dataloader=SimpleNamespace(dataset=wrapped))
    hook.before_test_epoch(runner)
    assert warnings == []
    hook.before_val_epoch(runner)
    hook.before_val_epoch(runner)  # once per phase
    assert len(warnings) == 1
    assert "the val dataset does not load through SafeLoadImageFromFile" in warnings[0]
    assert "runner_type='SafeLoadingRunner'" in warnings[0]
    hook.after_run(SimpleNamespace())


def test_with_safe_loading_refuses_bad_options():
    loader = dict(dataset=dict(pipeline=[dict(type='LoadImageFromFile')]))
    with pytest.raises(ValueError, match="on_bad must be one of"):
        with_safe_loading(loader, 'drop')
    with pytest.raises(ValueError,
                       match=r"safe_loading: unknown option\(s\) \['size'\]"):
        with_safe_loading(loader, 'skip', size=True)
