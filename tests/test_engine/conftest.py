"""Fixtures of the engine tests: generated shapes data with bad samples for the
safe loading runs (test_bad_sample_hook.py and test_safe_loading_runner.py; their
configs: config_builders.safe_loading_det_config), and the bad-sample record's
environment variable put back after a test that builds a BadSampleHook."""
import json
import os.path as osp
from typing import NamedTuple

import pytest

from shufflenet_backbones.datasets.bad_sample_log import BAD_SAMPLES_ENV


class BadData(NamedTuple):
    root: str  # a COCO-layout shapes dataset of 50 training, 10 val images
    truncated: str  # the first training image, cut in half
    wrong_size: str  # the first val image, annotated at twice its size


@pytest.fixture(scope='session')
def bad_data(tmp_path_factory, truncate) -> BadData:
    """Shapes data with one truncated training image (1 of 50: 2 %), one
    annotation whose label is outside the classes (mmdet drops it) and one val
    image annotated at another size than it has. Shared by the test files here:
    tests write their configs and work dirs elsewhere (their tmp_path)."""
    from shufflenet_backbones.toolkit.data import generate_shapes_coco
    root = str(tmp_path_factory.mktemp('bad_input') / 'data')
    generate_shapes_coco(root, num_train=50, num_val=10, image_size=64)
    ann = osp.join(root, 'annotations', 'instances_{}.json')
    with open(ann.format('train')) as f:
        train = json.load(f)
    truncated = truncate(osp.join(root, 'train', train['images'][0]['file_name']))
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
    return BadData(root, truncated, osp.join(root, 'val', wrong['file_name']))


@pytest.fixture
def bad_samples_env(monkeypatch) -> str:
    """The variable's name, unset for the test and put back after it: a
    BadSampleHook sets it when built and restores it only in ``after_run``."""
    monkeypatch.delenv(BAD_SAMPLES_ENV, raising=False)
    return BAD_SAMPLES_ENV
