import json
import shutil
from unittest import mock

import pytest
from mmdet.datasets import CocoDataset
from mmengine import Config

from shufflenet_backbones.datasets import (SHAPE_CLASSES, check_coco_dataset,
                                           check_config_datasets,
                                           generate_shapes_coco)

ANN = 'annotations/instances_train.json'


@pytest.fixture
def root(tmp_path):
    """A fresh 4-image train / 2-image val dataset for each test (tests damage it)."""
    generate_shapes_coco(str(tmp_path / 'data'), num_train=4, num_val=2,
                         image_size=48, seed=0)
    return tmp_path / 'data'


def read_ann(root):
    return json.loads((root / ANN).read_text())


def write_ann(root, coco):
    (root / ANN).write_text(json.dumps(coco))


def coco_cfg(data_root, split='train', **kwargs):
    return dict(type='CocoDataset', data_root=str(data_root),
                ann_file=f'annotations/instances_{split}.json',
                data_prefix=dict(img=f'{split}/'),
                metainfo=dict(classes=SHAPE_CLASSES), **kwargs)


def test_valid_dataset(root):
    result = check_coco_dataset(str(root), ANN, 'train/')
    coco = read_ann(root)
    assert result == dict(ann_file=str(root / ANN), img_dir=f'{root}/train/',
                          num_images=4, num_annotations=len(coco['annotations']),
                          num_skipped_boxes=0)


def test_absolute_paths_without_data_root(root):
    result = check_coco_dataset(None, str(root / ANN), str(root / 'train'))
    assert result['num_images'] == 4
    # absolute paths win over data_root, as in mmengine's BaseDataset
    assert check_coco_dataset(str(root / 'train'), str(root / ANN),
                              str(root / 'train'))['num_images'] == 4


def test_missing_data_root(tmp_path):
    missing = str(tmp_path / 'nowhere')
    with pytest.raises(FileNotFoundError) as err:
        check_coco_dataset(missing, ANN, 'train/')
    assert missing in str(err.value)
    assert '`data_root`' in str(err.value) and 'COCO-style' in str(err.value)


def test_missing_annotation_file(root):
    with pytest.raises(FileNotFoundError, match='instances_test.json'):
        check_coco_dataset(str(root), 'annotations/instances_test.json', 'train/')
    with pytest.raises(FileNotFoundError, match='not a file'):
        check_coco_dataset(str(root), 'annotations', 'train/')
    with pytest.raises(ValueError, match='ann_file'):
        check_coco_dataset(str(root), '', 'train/')


@pytest.mark.parametrize('content', [b'{"images": [', b'\xff\xfe\x00garbage'])
def test_annotation_file_not_json(root, content):
    (root / ANN).write_bytes(content)
    with pytest.raises(ValueError, match='not valid JSON') as err:
        check_coco_dataset(str(root), ANN, 'train/')
    assert str(root / ANN) in str(err.value)


def test_annotation_file_not_an_object(root):
    (root / ANN).write_text('[]')
    with pytest.raises(ValueError, match='JSON object') as err:
        check_coco_dataset(str(root), ANN, 'train/')
    assert str(root / ANN) in str(err.value)


@pytest.mark.parametrize('field', ['images', 'annotations', 'categories'])
def test_missing_field(root, field):
    coco = read_ann(root)
    del coco[field]
    write_ann(root, coco)
    with pytest.raises(ValueError, match=f"no '{field}' field") as err:
        check_coco_dataset(str(root), ANN, 'train/')
    assert str(root / ANN) in str(err.value)


def test_field_of_wrong_type(root):
    coco = read_ann(root)
    coco['annotations'] = {}
    write_ann(root, coco)
    with pytest.raises(ValueError, match="'annotations'.*must be a list"):
        check_coco_dataset(str(root), ANN, 'train/')


@pytest.mark.parametrize('field', ['images', 'categories'])
def test_empty_images_or_categories(root, field):
    coco = read_ann(root)
    coco[field] = []
    write_ann(root, coco)
    with pytest.raises(ValueError, match=f"lists no {field}") as err:
        check_coco_dataset(str(root), ANN, 'train/')
    assert str(root / ANN) in str(err.value)


def test_empty_annotations_are_allowed(root):
    coco = read_ann(root)
    coco['annotations'] = []
    write_ann(root, coco)
    assert check_coco_dataset(str(root), ANN, 'train/')['num_annotations'] == 0


@pytest.mark.parametrize('field,key', [('images', 'file_name'),
                                       ('annotations', 'bbox')])
def test_entry_without_key(root, field, key):
    coco = read_ann(root)
    del coco[field][1][key]
    write_ann(root, coco)
    with pytest.raises(ValueError, match=f"Entry 1 of '{field}'.*'{key}'"):
        check_coco_dataset(str(root), ANN, 'train/')


def test_malformed_bbox(root):
    coco = read_ann(root)
    coco['annotations'][0]['bbox'] = [1, 2, 3]
    write_ann(root, coco)
    with pytest.raises(ValueError, match=r'bbox \[1, 2, 3\]'):
        check_coco_dataset(str(root), ANN, 'train/')


def test_missing_image_folder(root):
    shutil.rmtree(root / 'train')
    with pytest.raises(FileNotFoundError, match='data_prefix') as err:
        check_coco_dataset(str(root), ANN, 'train/')
    assert str(root / 'train') in str(err.value)


def test_missing_images_are_named(root):
    (root / 'train/000001.png').unlink()
    (root / 'train/000003.png').unlink()
    with pytest.raises(FileNotFoundError) as err:
        check_coco_dataset(str(root), ANN, 'train/')
    message = str(err.value)
    assert '2 of 4 images' in message
    assert '000001.png, 000003.png' in message
    assert str(root / ANN) in message and str(root / 'train') in message


def test_many_missing_images_are_abbreviated(root):
    coco = read_ann(root)
    coco['images'] += [
        dict(id=100 + i, file_name=f'extra_{i}.png', width=48, height=48)
        for i in range(8)
    ]
    write_ann(root, coco)
    with pytest.raises(FileNotFoundError) as err:
        check_coco_dataset(str(root), ANN, 'train/')
    message = str(err.value)
    assert '8 of 12 images' in message
    assert 'extra_4.png' in message and 'extra_5.png' not in message
    assert 'and 3 more' in message


def test_degenerate_boxes_are_counted_and_skipped_by_mmdet(root):
    coco = read_ann(root)
    num_good = len(coco['annotations'])
    degenerate = [
        dict(bbox=[5, 5, 0, 10], area=0.),  # zero width
        dict(bbox=[5, 5, 10, 0.5], area=5.),  # height below one pixel
        dict(bbox=[5, 5, 10, 10], area=0.),  # zero area
        dict(bbox=[60, 10, 10, 10], area=100.),  # right of the 48 px image
        dict(bbox=[-20, -20, 10, 10], area=100.),  # above left
    ]
    # a box only partly inside the image is kept by mmdet, so it is not counted
    partly_inside = dict(bbox=[40, 40, 20, 20], area=400.)
    for i, extra in enumerate(degenerate + [partly_inside]):
        coco['annotations'].append(
            dict(extra, id=1000 + i, image_id=1, category_id=1, iscrowd=0))
    write_ann(root, coco)

    with mock.patch('shufflenet_backbones.datasets.checks.print_log') as log:
        result = check_coco_dataset(str(root), ANN, 'train/')
    assert result['num_skipped_boxes'] == len(degenerate)
    assert result['num_annotations'] == num_good + len(degenerate) + 1
    (message, ), kwargs = log.call_args
    assert message.startswith(f'{len(degenerate)} of {num_good + 6} boxes')
    assert str(root / ANN) in message
    assert kwargs['level'] == 30  # logging.WARNING

    cfg = coco_cfg(root)
    cfg.pop('type')
    dataset = CocoDataset(**cfg, pipeline=[], lazy_init=False)
    num_instances = sum(
        len(dataset.get_data_info(i)['instances']) for i in range(len(dataset)))
    assert num_instances == num_good + 1


def test_check_config_datasets_walks_wrappers(root):
    val = coco_cfg(root, 'val', test_mode=True)
    cfg = Config(
        dict(
            train_dataloader=dict(
                batch_size=2,
                dataset=dict(type='RepeatDataset', times=3,
                             dataset=coco_cfg(root))),
            val_dataloader=dict(
                dataset=dict(type='ConcatDataset', datasets=[
                    val,
                    # not a CocoDataset: left alone even with bogus paths
                    dict(type='VOCDataset', data_root='/nowhere', ann_file='x.txt'),
                ])),
            test_dataloader=dict(dataset=val)))
    with mock.patch('shufflenet_backbones.datasets.checks.check_coco_dataset',
                    wraps=check_coco_dataset) as check:
        results = check_config_datasets(cfg)
    assert set(results) == {
        'train_dataloader.dataset.dataset', 'val_dataloader.dataset.datasets[0]',
        'test_dataloader.dataset'
    }
    assert results['train_dataloader.dataset.dataset']['num_images'] == 4
    assert results['test_dataloader.dataset'] == results[
        'val_dataloader.dataset.datasets[0]']
    assert results['test_dataloader.dataset']['num_images'] == 2
    assert check.call_count == 2  # val and test share one dataset


def test_check_config_datasets_skips_absent_loaders(root):
    cfg = Config(
        dict(train_dataloader=dict(dataset=coco_cfg(root)), val_dataloader=None))
    assert list(check_config_datasets(cfg)) == ['train_dataloader.dataset']


def test_check_config_datasets_says_where(root, tmp_path):
    missing = str(tmp_path / 'not_here')
    cfg = Config(
        dict(train_dataloader=dict(
            dataset=dict(type='RepeatDataset', times=2,
                         dataset=coco_cfg(missing)))))
    with pytest.raises(FileNotFoundError) as err:
        check_config_datasets(cfg)
    assert str(err.value).startswith('train_dataloader.dataset.dataset: ')
    assert missing in str(err.value)
