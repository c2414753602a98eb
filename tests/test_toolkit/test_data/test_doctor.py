"""The dataset doctor (tools/data/check_dataset.py) decodes every image of a config's
datasets, lists exactly the broken files, one line each, exits 1 on problems and
caches what it decoded by file size and mtime."""
import json
import os
from pathlib import Path

import numpy as np
import pytest
from mmengine import Config
from PIL import Image

from shufflenet_backbones.toolkit.cli import check_dataset
from shufflenet_backbones.toolkit.data import (SHAPE_CLASSES, doctor,
                                               generate_imagenet_folder,
                                               generate_shapes_coco,
                                               generate_shapes_stuff)
from shufflenet_backbones.toolkit.data.doctor import check_datasets

TOOL = 'tools/data/check_dataset.py'
SHAPES_BASE = Path(__file__).parents[3] / 'configs/_base_/datasets/synthetic_shapes.py'
TRAIN_ANN = 'annotations/instances_train.json'
VAL_ANN = 'annotations/instances_val.json'


def truncate(path: Path) -> None:
    """Keep the first half of the file's bytes, as an interrupted copy does."""
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])


def edit_json(path: Path, edit) -> None:
    coco = json.loads(path.read_text())
    edit(coco)
    path.write_text(json.dumps(coco))


def problem_paths(stdout: str) -> set:
    """The files named by the problem lines (all lines but the summary)."""
    lines = stdout.strip().splitlines()
    assert lines[-2].startswith('Checked ') and ' problems: ' in lines[-1]
    return {str(Path(line.split(': ')[0]).resolve()) for line in lines[:-2]}


def coco_cfg(root: Path, split: str = 'train') -> Config:
    return Config(dict(train_dataloader=dict(dataset=dict(
        type='CocoDataset', data_root=str(root),
        ann_file=f'annotations/instances_{split}.json',
        data_prefix=dict(img=f'{split}/'), metainfo=dict(classes=SHAPE_CLASSES),
        pipeline=[]))))


@pytest.fixture
def coco_root(tmp_path):
    generate_shapes_coco(str(tmp_path / 'data'), num_train=3, num_val=1,
                         image_size=32, seed=0)
    return tmp_path / 'data'


def test_acceptance_lists_exactly_the_broken_files(tmp_path, run_tool):
    """Issue 12, scaled down: 2% of the training images truncated, a val image
    annotated with the wrong size and an annotation with a category id outside the
    classes are listed, nothing else; exit code 1. A second run over unchanged
    data decodes nothing and says the same; a repaired file is re-checked."""
    root = tmp_path / 'shapes'
    generate_shapes_coco(str(root), num_train=100, num_val=10, image_size=48,
                         seed=0)
    train = json.loads((root / TRAIN_ANN).read_text())
    names = [img['file_name'] for img in train['images']]
    truncated = [root / 'train' / name for name in names[10:12]]  # 2 of 100
    originals = {path: path.read_bytes() for path in truncated}
    for path in truncated:
        truncate(path)
    # a category id outside the classes, on an image that is fine otherwise
    bad_cat_img = next(img for img in train['images']
                       if img['file_name'] not in names[10:12] and any(
                           a['image_id'] == img['id'] for a in train['annotations']))

    def bad_category(coco):
        next(a for a in coco['annotations']
             if a['image_id'] == bad_cat_img['id'])['category_id'] = 99

    edit_json(root / TRAIN_ANN, bad_category)
    val = json.loads((root / VAL_ANN).read_text())
    wrong_size = val['images'][3]

    def bigger(coco):
        coco['images'][3]['width'] += 16  # the boxes still fit the real image

    edit_json(root / VAL_ANN, bigger)
    config = tmp_path / 'shapes_cfg.py'
    config.write_text(f"_base_ = '{SHAPES_BASE}'\n"
                      f"data_root = '{root}/'\n"
                      'train_dataloader = dict(dataset=dict(data_root=data_root))\n'
                      'val_dataloader = dict(dataset=dict(data_root=data_root))\n'
                      'test_dataloader = val_dataloader\n')
    expected = {str(p.resolve()) for p in truncated} | {
        str((root / 'train' / bad_cat_img['file_name']).resolve()),
        str((root / 'val' / wrong_size['file_name']).resolve())}

    first = run_tool(TOOL, config, '--workers', '2')
    assert first.returncode == 1, first.stderr
    assert problem_paths(first.stdout) == expected
    assert 'Checked 110 images' in first.stdout
    assert '110 files decoded' in first.stdout
    assert '4 problems: category 1, size 1, unreadable 2' in first.stdout
    assert ': width/height: ' in first.stdout and ': category_id: ' in first.stdout

    second = run_tool(TOOL, config, '--workers', '2')
    assert second.returncode == 1
    assert '0 files decoded, 110 from the cache' in second.stdout
    assert second.stdout.splitlines()[:-2] == first.stdout.splitlines()[:-2]

    truncated[0].write_bytes(originals[truncated[0]])  # repaired: size changes
    third = run_tool(TOOL, config, '--split', 'train', '--workers', '1')
    assert third.returncode == 1
    assert '1 files decoded' in third.stdout
    assert problem_paths(third.stdout) == expected - {
        str(truncated[0].resolve()), str((root / 'val' / wrong_size['file_name'])
                                         .resolve())}


def test_clean_dataset_exits_0(coco_root, tmp_path, capsys):
    config = tmp_path / 'cfg.py'
    coco_cfg(coco_root).dump(str(config))
    assert check_dataset.main([str(config), '--workers', '1']) == 0
    out = capsys.readouterr().out
    assert 'Checked 3 images' in out and 'No problems.' in out


@pytest.mark.parametrize('bbox,message', [
    ([2, 2, 0, 5], 'has no area'),
    ([2, 2, 5, -1], 'has no area'),
    ([20, 20, 13, 5], 'is not inside the 32x32 image'),
    ([-1, 2, 5, 5], 'is not inside the 32x32 image'),
])
def test_boxes_are_checked_against_the_image(coco_root, bbox, message):
    def edit(coco):
        coco['annotations'][0]['bbox'] = bbox

    edit_json(coco_root / TRAIN_ANN, edit)
    problems, _ = check_datasets(coco_cfg(coco_root))
    assert [(p.field, p.kind) for p in problems] == [('bbox', 'bbox')]
    assert message in problems[0].message


def test_box_rounding_within_tolerance_is_fine(coco_root):
    def edit(coco):
        coco['annotations'][0]['bbox'] = [0, 0, 32.3, 32.3]

    edit_json(coco_root / TRAIN_ANN, edit)
    assert check_datasets(coco_cfg(coco_root))[0] == []


def test_class_without_category(coco_root):
    def edit(coco):
        coco['categories'][2]['name'] = 'hexagon'
        coco['annotations'] = [a for a in coco['annotations']
                               if a['category_id'] != 3]

    edit_json(coco_root / TRAIN_ANN, edit)
    problems, _ = check_datasets(coco_cfg(coco_root))
    assert [(p.path, p.field) for p in problems] == [
        (str(coco_root / TRAIN_ANN), 'categories')]


def test_missing_image(coco_root):
    (coco_root / 'train/000001.png').unlink()
    problems, _ = check_datasets(coco_cfg(coco_root))
    assert [(Path(p.path).name, p.field, p.kind) for p in problems] == [
        ('000001.png', 'file', 'missing')]


def test_exif_rotation_swaps_the_decoded_size(coco_root):
    """mmcv's default decoding applies the EXIF orientation: a 32x24 JPEG with
    orientation 6 reaches the pipeline as 24x32, the size to annotate."""
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.new('RGB', (32, 24)).save(coco_root / 'train/rotated.jpg', exif=exif)

    def edit(coco):
        coco['images'][0].update(file_name='rotated.jpg', width=24, height=32)
        coco['annotations'] = []

    edit_json(coco_root / TRAIN_ANN, edit)
    assert check_datasets(coco_cfg(coco_root))[0] == []


def test_cache_rechecks_changed_files_only(coco_root):
    cfg = coco_cfg(coco_root)
    cache = coco_root / 'annotations/.instances_train.json.check_dataset_cache.json'
    assert check_datasets(cfg)[1]['num_decoded'] == 3
    assert json.loads(cache.read_text())['version'] == doctor.CHECKER_VERSION
    assert check_datasets(cfg)[1]['num_decoded'] == 0
    image = coco_root / 'train/000002.png'
    stat = image.stat()  # same size, newer mtime: decoded again
    os.utime(image, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert check_datasets(cfg)[1]['num_decoded'] == 1
    truncate(image)  # a changed file's new state is what gets reported
    problems, info = check_datasets(cfg)
    assert info['num_decoded'] == 1
    assert [(p.path, p.kind) for p in problems] == [(str(image), 'unreadable')]
    # only the cache itself beside the annotations: no temporary files left
    assert sorted(p.name for p in cache.parent.iterdir()) == [
        cache.name, 'instances_train.json', 'instances_val.json']


def test_cache_of_another_checker_version_is_ignored(coco_root, monkeypatch):
    cfg = coco_cfg(coco_root)
    check_datasets(cfg)
    monkeypatch.setattr(doctor, 'CHECKER_VERSION', doctor.CHECKER_VERSION + 1)
    assert check_datasets(cfg)[1]['num_decoded'] == 3


def test_unwritable_cache_is_a_warning(coco_root, capsys, monkeypatch):
    def fail(*args, **kwargs):
        raise PermissionError('read-only file system')

    monkeypatch.setattr(doctor.tempfile, 'mkstemp', fail)
    problems, info = check_datasets(coco_cfg(coco_root))
    assert problems == [] and info['num_decoded'] == 3
    assert 'warning: cache not written (read-only file system)' in \
        capsys.readouterr().out


@pytest.fixture
def stuff_root(tmp_path):
    generate_shapes_stuff(str(tmp_path / 'stuff'), num_train=2, num_val=1,
                          image_size=32)
    return tmp_path / 'stuff'


def seg_cfg(root: Path, **dataset) -> Config:
    dataset = dict(dict(type='BaseSegDataset', data_root=str(root),
                        metainfo=dict(classes=('bg', 'a', 'b', 'c')),
                        img_suffix='.jpg', seg_map_suffix='_labelTrainIds.png',
                        data_prefix=dict(img_path='images/train2017',
                                         seg_map_path='annotations/train2017')),
                   **dataset)
    return Config(dict(default_scope='mmseg', train_dataloader=dict(dataset=dataset)))


def test_seg_labels_and_sizes(stuff_root):
    assert check_datasets(seg_cfg(stuff_root)) == ([], dict(
        num_images=2, num_decoded=4, num_cached=0, skipped={}))
    assert (stuff_root / '.check_dataset_cache.json').is_file()  # no ann_file
    maps = sorted((stuff_root / 'annotations/train2017').iterdir())
    label = np.array(Image.open(maps[0]))
    label[0, 0] = 7  # neither a class (0-3) nor 255
    Image.fromarray(label).save(maps[0])
    Image.fromarray(np.zeros((16, 32), np.uint8)).save(maps[1])
    problems, info = check_datasets(seg_cfg(stuff_root))
    assert info['num_decoded'] == 2
    assert [(p.path, p.field, p.kind) for p in problems] == [
        (str(maps[0]), 'label', 'label'), (str(maps[1]), 'size', 'size')]
    assert 'values [7]' in problems[0].message
    # reduce_zero_label turns 0 into 255 and 7 into 6, still not a class
    problems, _ = check_datasets(seg_cfg(stuff_root, reduce_zero_label=True))
    assert 'values [6]' in problems[0].message


@pytest.fixture
def imagenet_root(tmp_path):
    generate_imagenet_folder(str(tmp_path / 'imagenet'), dict(train=2, val=1),
                             image_size=16)
    return tmp_path / 'imagenet'


def cls_cfg(root: Path) -> Config:
    return Config(dict(default_scope='mmpretrain', train_dataloader=dict(
        dataset=dict(type='CustomDataset', data_root=str(root),
                     ann_file='meta/train.txt', data_prefix='train',
                     metainfo=dict(classes=('circle', 'square', 'triangle'))))))


def test_cls_labels_and_images(imagenet_root):
    assert check_datasets(cls_cfg(imagenet_root))[0] == []
    meta = imagenet_root / 'meta/train.txt'
    lines = meta.read_text().splitlines()
    name, _ = lines[0].split()
    meta.write_text('\n'.join([f'{name} 3'] + lines[1:]) + '\n')
    broken = imagenet_root / 'train' / lines[1].split()[0]
    truncate(broken)
    problems, _ = check_datasets(cls_cfg(imagenet_root))
    assert sorted((Path(p.path).name, p.field, p.kind) for p in problems) == [
        (Path(name).name, 'gt_label', 'label'),
        (broken.name, 'file', 'unreadable')]


def test_val_and_test_sharing_a_dataset_are_checked_once(coco_root):
    cfg = coco_cfg(coco_root)
    cfg.val_dataloader = cfg.test_dataloader = cfg.train_dataloader
    edit_json(coco_root / TRAIN_ANN,
              lambda coco: coco['annotations'][0].update(category_id=7))
    problems, info = check_datasets(cfg)
    assert len(problems) == 1 and info['num_images'] == 3
    assert check_datasets(cfg, splits=['val'])[1]['num_decoded'] == 0


@pytest.mark.parametrize('config,generator', [
    ('det/mask_rcnn_fpn_shufflenetv2.py', 'coco_root'),
    ('det/lighthead_shufflenetv2_shapes_demo.py', 'coco_root'),
    ('seg/deeplabv3plus_shufflenetv2_os8_cocostuff164k.py', 'stuff_root'),
    ('seg/fcn_shufflenetv2_shapes_demo.py', 'stuff_root'),
    ('cls/shufflenetv2_imagenet.py', 'imagenet_root'),
])
def test_real_configs_pass_on_generated_data(config, generator, request):
    """The project's configs, their data_root pointed at generated data: every
    dataset is built in its scope (``_scope_`` of an mmdet:: / mmpretrain:: base)
    and checked."""
    root = request.getfixturevalue(generator)
    cfg = Config.fromfile(Path(__file__).parents[3] / 'configs' / config)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = str(root)
        if generator == 'coco_root':  # COCO's 2017 names and classes otherwise
            split = 'train' if loader == 'train_dataloader' else 'val'
            cfg[loader].dataset.update(
                ann_file=f'annotations/instances_{split}.json',
                data_prefix=dict(img=f'{split}/'),
                metainfo=dict(classes=SHAPE_CLASSES))
    problems, info = check_datasets(cfg)
    assert problems == [] and info['skipped'] == {}
    assert info['num_images'] == dict(coco_root=4, stuff_root=3,
                                      imagenet_root=9)[generator]


def test_unbuildable_dataset_is_a_problem(coco_root):
    cfg = coco_cfg(coco_root)
    cfg.train_dataloader.dataset.ann_file = 'annotations/nowhere.json'
    problems, _ = check_datasets(cfg)
    assert [(p.path, p.kind) for p in problems] == [
        ('train_dataloader.dataset', 'dataset')]
