import json
import shutil
from pathlib import Path
from unittest import mock

import pytest
from mmdet.datasets import CocoDataset
from mmengine import Config

from shufflenet_backbones.toolkit.data import (SHAPE_CLASSES,
                                               check_coco_dataset,
                                               check_config_datasets,
                                               generate_imagenet_folder,
                                               generate_shapes_coco,
                                               generate_shapes_stuff)

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

    with mock.patch('shufflenet_backbones.toolkit.data.checks.print_log') as log:
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
                    # not a CocoDataset: only its data_root is checked
                    dict(type='VOCDataset', data_root=str(root), ann_file='x.txt'),
                ])),
            test_dataloader=dict(dataset=val)))
    with mock.patch('shufflenet_backbones.toolkit.data.checks.check_coco_dataset',
                    wraps=check_coco_dataset) as check:
        results = check_config_datasets(cfg)
    assert set(results) == {
        'train_dataloader.dataset.dataset', 'val_dataloader.dataset.datasets[0]',
        'val_dataloader.dataset.datasets[1]', 'test_dataloader.dataset'
    }
    assert results['val_dataloader.dataset.datasets[1]'] == dict(data_root=str(root))
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


# ---------------------------------------------------------------------------------
# segmentation (mmseg) and classification (mmpretrain) datasets

ROOT = Path(__file__).parents[3]
NOWHERE = 'NOWHERE'  # a test puts a path that does not exist in its place


@pytest.fixture(scope='module')
def stuff_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('stuff')
    generate_shapes_stuff(str(root), num_train=2, num_val=1, image_size=32)
    return root


@pytest.fixture(scope='module')
def imagenet_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('imagenet')
    generate_imagenet_folder(str(root), dict(train=1, val=1), image_size=16)
    return root


def seg_cfg(root, **dataset):
    """mmseg's scope, a COCO-Stuff-layout dataset as configs/_base_ gives it."""
    dataset = dict(
        dict(type='COCOStuffDataset', data_root=str(root),
             data_prefix=dict(img_path='images/train2017',
                              seg_map_path='annotations/train2017')), **dataset)
    return Config(dict(default_scope='mmseg',
                       train_dataloader=dict(dataset=dataset)))


def cls_cfg(root, **dataset):
    """mmpretrain's scope, ImageNet by its split as configs/cls gives it."""
    dataset = dict(dict(type='ImageNet', data_root=str(root), split='train'),
                   **dataset)
    return Config(dict(default_scope='mmpretrain',
                       train_dataloader=dict(dataset=dataset)))


@pytest.mark.parametrize('config,generator', [
    ('seg/deeplabv3plus_shufflenetv2_os8_cocostuff164k.py', 'stuff_root'),
    ('seg/fcn_shufflenetv2_shapes_demo.py', 'stuff_root'),
    ('cls/shufflenetv2_imagenet.py', 'imagenet_root'),
])
def test_real_configs_pass_on_generated_data(config, generator, request):
    root = request.getfixturevalue(generator)
    cfg = Config.fromfile(ROOT / 'configs' / config)
    loaders = ('train_dataloader', 'val_dataloader', 'test_dataloader')
    for loader in loaders:
        cfg[loader].dataset.data_root = str(root)
    results = check_config_datasets(cfg)
    assert list(results) == [f'{loader}.dataset' for loader in loaders]
    train = results['train_dataloader.dataset']
    assert train['data_root'] == str(root)
    expected = 'images/train2017' if generator == 'stuff_root' else 'train'
    assert train['img_dir'] == str(root / expected)


def test_seg_dataset_paths_are_reported(stuff_root):
    assert check_config_datasets(seg_cfg(stuff_root)) == {
        'train_dataloader.dataset': dict(
            data_root=str(stuff_root), img_dir=str(stuff_root / 'images/train2017'),
            seg_map_dir=str(stuff_root / 'annotations/train2017'))}


def check_missing(cfg, root, tmp_path, override, field, missing) -> str:
    """Check ``cfg(root, **override)``, NOWHERE in ``override`` being a path that
    does not exist; the error names ``field`` and the missing path (``missing``
    relative to ``root``, or NOWHERE). Returns the message."""
    nowhere = str(tmp_path / 'nowhere')
    override = {k: nowhere if v == NOWHERE else v for k, v in override.items()}
    with pytest.raises(FileNotFoundError) as err:
        check_config_datasets(cfg(root, **override))
    message = str(err.value)
    assert message.startswith('train_dataloader.dataset: ') and '\n' not in message
    assert f'`{field}`' in message
    assert (nowhere if missing == NOWHERE else str(root / missing)) in message
    return message


@pytest.mark.parametrize('override,field,missing', [
    (dict(data_root=NOWHERE), 'data_root', NOWHERE),
    (dict(data_prefix=dict(img_path='images/test2017',
                           seg_map_path='annotations/train2017')),
     'data_prefix.img_path', 'images/test2017'),
    (dict(data_prefix=dict(img_path='images/train2017', seg_map_path='labels')),
     'data_prefix.seg_map_path', 'labels'),
    (dict(ann_file='splits/train.txt'), 'ann_file', 'splits/train.txt'),
])
def test_seg_dataset_missing_path(stuff_root, tmp_path, override, field, missing):
    message = check_missing(seg_cfg, stuff_root, tmp_path, override, field, missing)
    assert 'tools/data/generate_shapes_stuff.py' in message  # what to run


def test_cls_dataset_paths_are_reported(imagenet_root):
    assert check_config_datasets(cls_cfg(imagenet_root)) == {
        'train_dataloader.dataset': dict(data_root=str(imagenet_root),
                                         img_dir=str(imagenet_root / 'train'))}
    # a CustomDataset with data_prefix and ann_file, by its scoped name
    cfg = Config(dict(train_dataloader=dict(dataset=dict(
        type='mmpretrain.CustomDataset', data_root=str(imagenet_root),
        data_prefix=dict(img_path='val'), ann_file='meta/val.txt'))))
    assert check_config_datasets(cfg)['train_dataloader.dataset'] == dict(
        data_root=str(imagenet_root), img_dir=str(imagenet_root / 'val'),
        ann_file=str(imagenet_root / 'meta/val.txt'))


@pytest.mark.parametrize('override,field,missing', [
    (dict(data_root=NOWHERE), 'data_root', NOWHERE),
    (dict(split='test'), 'split', 'test'),  # ImageNet's default image folder
    (dict(data_prefix='valid'), 'data_prefix', 'valid'),
    (dict(data_prefix=dict(img_path='valid')), 'data_prefix.img_path', 'valid'),
    (dict(ann_file='meta/all.txt'), 'ann_file', 'meta/all.txt'),
])
def test_cls_dataset_missing_path(imagenet_root, tmp_path, override, field,
                                  missing):
    message = check_missing(cls_cfg, imagenet_root, tmp_path, override, field,
                            missing)
    assert 'tools/data/generate_imagenet_folder.py' in message  # what to run


def test_other_datasets_get_their_data_root_checked(tmp_path):
    missing = str(tmp_path / 'nowhere')
    cfg = Config(dict(train_dataloader=dict(
        dataset=dict(type='VOCDataset', data_root=missing, ann_file='x.txt'))))
    with pytest.raises(FileNotFoundError, match='`data_root`') as err:
        check_config_datasets(cfg)
    assert missing in str(err.value)


@pytest.mark.parametrize('dataset', [
    # may download into data_root, creating it
    dict(type='mmpretrain.CIFAR10', data_root=NOWHERE),
    # read through a storage backend: not a local path
    dict(type='mmseg.COCOStuffDataset', data_root=NOWHERE,
         backend_args=dict(backend='petrel')),
    dict(type='ImageNet', data_root='s3://bucket/imagenet', split='train'),
])
def test_datasets_left_to_their_library(dataset, tmp_path):
    dataset = {k: str(tmp_path / 'nowhere') if v == NOWHERE else v
               for k, v in dataset.items()}
    cfg = Config(dict(default_scope='mmpretrain',
                      train_dataloader=dict(dataset=dataset)))
    assert check_config_datasets(cfg) == {}
