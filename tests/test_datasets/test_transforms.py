"""CheckSegLabels (datasets/transforms.py), after mmseg's LoadAnnotations: it
passes train-id maps and the ignore index, names the file and the values outside
the classes, passes images without annotations (inference), raises when placed
before LoadAnnotations, and refuses a bad ``num_classes``. That the seg configs
use it: tests/test_configs/test_seg_configs.py."""
import re

import numpy as np
import pytest
from mmengine.registry import DefaultScope
from mmseg.registry import TRANSFORMS
from PIL import Image

from shufflenet_backbones.datasets.transforms import CheckSegLabels

IGNORE_INDEX = 255  # CheckSegLabels' and mmseg's default


def load_and_check(path, num_classes, **kwargs):
    with DefaultScope.overwrite_default_scope('mmseg'):
        load = TRANSFORMS.build(dict(type='LoadAnnotations'))
        check = TRANSFORMS.build(dict(type='CheckSegLabels', num_classes=num_classes,
                                      **kwargs))
    assert isinstance(check, CheckSegLabels)  # registered in mmseg's TRANSFORMS
    results = dict(seg_map_path=str(path), reduce_zero_label=False, seg_fields=[])
    return check(load(results))


def test_check_seg_labels_names_file_and_values(tmp_path):
    labels = np.zeros((8, 8), np.uint8)
    labels[0, :2] = (4, 200)
    labels[1] = IGNORE_INDEX
    path = tmp_path / 'bad_labelTrainIds.png'
    Image.fromarray(labels).save(path)
    with pytest.raises(ValueError) as err:
        load_and_check(path, num_classes=4)
    message = str(err.value)
    assert str(path) in message
    assert re.search(r'ignore index 255: 4, 200 \(2 pixels\)', message), message


def test_check_seg_labels_passes_valid_and_ignore(tmp_path):
    labels = np.full((8, 8), 3, np.uint8)
    labels[0] = IGNORE_INDEX
    path = tmp_path / 'good_labelTrainIds.png'
    Image.fromarray(labels).save(path)
    results = load_and_check(path, num_classes=4)
    assert results['gt_seg_map'].max() == IGNORE_INDEX


def test_check_seg_labels_follows_ignore_index(tmp_path):
    """255 passes as the default ignore index; with ``ignore_index=0`` (a map
    where 0 means ignore) it is a value outside the classes."""
    labels = np.zeros((8, 8), np.uint8)
    labels[0] = 255
    path = tmp_path / 'labels.png'
    Image.fromarray(labels).save(path)
    load_and_check(path, num_classes=4)
    with pytest.raises(ValueError, match=r'ignore index 0: 255 \(8 pixels\)'):
        load_and_check(path, num_classes=4, ignore_index=0)


def test_check_seg_labels_lists_ten_values_and_counts_the_rest():
    seg = np.arange(20, 35, dtype=np.uint8).reshape(3, 5)  # 15 values >= 4
    with pytest.raises(ValueError) as err:
        CheckSegLabels(num_classes=4)(dict(gt_seg_map=seg, seg_map_path='x.png'))
    assert ': 20, 21, 22, 23, 24, 25, 26, 27, 28, 29 and 5 more (15 pixels)' in \
        str(err.value)


def test_check_seg_labels_passes_images_without_annotations():
    """Inference (mmseg's APIs drop LoadAnnotations): nothing to check."""
    results = dict(img=np.zeros((4, 4, 3), np.uint8), img_path=None)
    assert CheckSegLabels(num_classes=4)(dict(results)).keys() == results.keys()


def test_check_seg_labels_before_load_annotations_raises(tmp_path):
    """A label map that exists but was not loaded: the step is misplaced."""
    with pytest.raises(KeyError, match='after LoadAnnotations'):
        CheckSegLabels(num_classes=4)(dict(seg_map_path=str(tmp_path / 'a.png')))


@pytest.mark.parametrize('num_classes', [0, -1, 4.0, '4', None])
def test_check_seg_labels_refuses_bad_num_classes(num_classes):
    with pytest.raises(ValueError, match=re.escape(
            f'num_classes must be a positive int, got {num_classes!r}')):
        CheckSegLabels(num_classes=num_classes)


def test_check_seg_labels_repr():
    assert repr(CheckSegLabels(num_classes=171, ignore_index=0)) == \
        'CheckSegLabels(num_classes=171, ignore_index=0)'
