"""The safe loading of datasets/safe_loading.py: ``SafeLoadImageFromFile`` and
``SafeLoadSegAnnotations`` on whole, truncated, missing, garbage and wrongly sized
files (skip or placeholder, the bad-in-a-row limit), their registration, and
``with_safe_loading``, the config rewrite that SafeLoadingRunner applies (issue
12). How a bad file is told and recorded: test_bad_sample_log.py; counting them
and the training runs on bad data: tests/test_engine/."""
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from mmcv.transforms import LoadImageFromFile
from mmengine.dataset import Compose

from shufflenet_backbones.datasets import (SafeLoadImageFromFile,
                                           SafeLoadSegAnnotations,
                                           loads_safely, with_safe_loading)
from shufflenet_backbones.datasets.bad_sample_log import (BAD_SAMPLES_ENV,
                                                          read_bad_samples)


def _write(path, img):
    assert cv2.imwrite(str(path), img)
    return str(path)


@pytest.fixture
def images(tmp_path):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)
    return {ext: _write(tmp_path / f'img.{ext}', img) for ext in ('png', 'jpg')}


@pytest.mark.parametrize('ext', ['png', 'jpg'])
def test_whole_image_loads(images, ext):
    results = SafeLoadImageFromFile()(dict(img_path=images[ext]))
    assert results['img'].shape == (48, 64, 3)


@pytest.mark.parametrize('ext', ['png', 'jpg'])
def test_truncated_image_is_skipped_with_one_warning(images, ext, warnings_seen,
                                                     tmp_path, monkeypatch,
                                                     truncate):
    record = str(tmp_path / 'record.jsonl')
    monkeypatch.setenv(BAD_SAMPLES_ENV, record)
    # OpenCV alone decodes half a file without raising (test_bad_sample_log.py)
    truncate(images[ext])
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


def test_placeholder_keeps_the_sample_for_evaluation(images, truncate):
    truncate(images['png'])
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


def test_truncated_label_map_is_skipped(tmp_path, truncate):
    sample = _seg_sample(tmp_path)
    loaded = SafeLoadSegAnnotations()(
        SafeLoadImageFromFile()(dict(sample, seg_fields=[])))
    assert (loaded['gt_seg_map'] == 1).all()
    truncate(sample['seg_map_path'])
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


def test_loads_safely_looks_into_wrapped_datasets():
    """What BadSampleHook checks a built dataset with (all inner datasets)."""
    plain = SimpleNamespace(pipeline=Compose([LoadImageFromFile()]))
    safe = SimpleNamespace(pipeline=Compose([SafeLoadImageFromFile()]))
    assert loads_safely(safe) and not loads_safely(plain)
    assert loads_safely(SimpleNamespace(datasets=[safe, SimpleNamespace(
        dataset=safe)]))
    assert not loads_safely(SimpleNamespace(datasets=[safe, SimpleNamespace(
        dataset=plain)]))


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
    loader = dict(dataset=dict(pipeline=[dict(type=LoadImageFromFile)]))
    step = with_safe_loading(loader, 'skip')['dataset']['pipeline'][0]
    assert step == dict(type='SafeLoadImageFromFile', on_bad='skip')


def test_with_safe_loading_refuses_bad_options():
    loader = dict(dataset=dict(pipeline=[dict(type='LoadImageFromFile')]))
    with pytest.raises(ValueError, match="on_bad must be one of"):
        with_safe_loading(loader, 'drop')
    with pytest.raises(ValueError,
                       match=r"safe_loading: unknown option\(s\) \['size'\]"):
        with_safe_loading(loader, 'skip', size=True)
