"""Training on your own COCO folder (shufflenet_backbones/toolkit/data/custom_data.py
and ``tools/train.py --data``): the classes from the train annotations, every
``num_classes`` but the RPN's, the datasets through wrappers, the evaluators, the
dataset doctor first, one error line per bad input; and end to end: the quickstart
demo trained for 2 iterations on a generated folder with 2 renamed classes, then
tools/test.py on the config the run wrote (about 15 s)."""
import json
import os.path as osp
from pathlib import Path

import pytest
import torch
from mmengine import Config

from shufflenet_backbones.toolkit.cli import train as train_tool
from shufflenet_backbones.toolkit.data import custom_data as cd
from shufflenet_backbones.toolkit.data import generate_shapes_coco
from shufflenet_backbones.toolkit.errors import CLIError

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / 'configs/det/lighthead_shufflenetv2_shapes_demo.py'
DET_CONFIGS = sorted((ROOT / 'configs/det').glob('*.py'))
TRAIN, TEST = ROOT / 'tools/train.py', ROOT / 'tools/test.py'
# 2 categories, ids not in name order: the classes are sorted by id
CATEGORIES = [dict(id=9, name='box', supercategory='shape'),
              dict(id=5, name='disc', supercategory='shape')]
CLASSES = ('disc', 'box')
# generated label (category_id - 1) -> new id; the triangles are dropped
NEW_IDS = {1: 5, 2: 9}
CHEAP = ['train_cfg.max_iters=2', 'train_dataloader.batch_size=2'] + [
    f'{loader}_dataloader.{key}' for loader in ('train', 'val', 'test')
    for key in ('num_workers=0', 'persistent_workers=False')]


def edit_json(path: Path, edit) -> None:
    coco = json.loads(path.read_text())
    edit(coco)
    path.write_text(json.dumps(coco))


def two_classes(coco: dict) -> None:
    coco['categories'] = CATEGORIES
    coco['annotations'] = [dict(a, category_id=NEW_IDS[a['category_id']])
                           for a in coco['annotations'] if a['category_id'] in NEW_IDS]


@pytest.fixture
def folder(tmp_path) -> Path:
    """A generated COCO folder with 2 renamed classes."""
    root = tmp_path / 'my_data'
    generate_shapes_coco(str(root), num_train=4, num_val=4, seed=1)
    for split in ('train', 'val'):
        edit_json(root / f'annotations/instances_{split}.json', two_classes)
    return root


# ---------------------------------------------------------------------------------
# the classes


def test_read_classes_sorts_the_categories_by_id(folder):
    assert cd.read_classes(str(folder)) == CLASSES


def add_category(split: str, category: dict):
    """An edit of the folder: one more category in the split's file."""
    def edit(root: Path) -> None:
        edit_json(root / f'annotations/instances_{split}.json',
                  lambda coco: coco['categories'].append(category))
    return edit


@pytest.mark.parametrize('edit, match', [
    (lambda root: (root / 'annotations/instances_val.json').unlink(),
     r'instances_val.json: not found; expected DIR/annotations/instances_train'),
    (lambda root: (root / 'val').rename(root / 'valid'),
     r'my_data/val/: the val image folder is missing'),
    (lambda root: (root / 'annotations/instances_train.json').write_text('{'),
     r'instances_train.json.* is not valid JSON'),
    (add_category('val', dict(id=2, name='wedge')),
     r'instances_val.json: categories: differ from those of .*instances_train.json'
     r".*not in train: \[\(2, 'wedge'\)\]"),
    (add_category('train', dict(id=3, name='disc')),
     r"instances_train.json: categories: the names \['disc'\] are given more than"),
    (add_category('train', dict(name='wedge')),
     r"instances_train.json: categories\[2\]: needs an 'id' and a 'name'"),
])
def test_read_classes_errors_name_the_file_and_field(folder, edit, match):
    edit(folder)
    with pytest.raises(CLIError, match=match):
        cd.read_classes(str(folder))


def test_read_classes_needs_a_folder(tmp_path):
    with pytest.raises(CLIError, match='--data .*nothing: not a folder; expected'):
        cd.read_classes(str(tmp_path / 'nothing'))


# ---------------------------------------------------------------------------------
# the config


def test_set_num_classes_skips_rpn_heads_and_walks_lists():
    model = dict(
        rpn_head=dict(type='RPNHead', num_classes=1),
        light=dict(type='LightRPNHead', num_classes=1),
        roi_head=dict(bbox_head=[dict(num_classes=80), dict(num_classes=80)],
                      mask_head=dict(num_classes=80)))
    found = cd.set_num_classes(model, 2)
    assert found == ['model.roi_head.bbox_head[0]', 'model.roi_head.bbox_head[1]',
                     'model.roi_head.mask_head']
    assert model['rpn_head']['num_classes'] == model['light']['num_classes'] == 1
    assert [h['num_classes'] for h in model['roi_head']['bbox_head']] == [2, 2]
    assert model['roi_head']['mask_head']['num_classes'] == 2


@pytest.mark.parametrize('config', DET_CONFIGS, ids=lambda p: p.name)
def test_set_num_classes_on_every_detection_config(config):
    cfg = Config.fromfile(str(config))
    found = cd.set_num_classes(cfg.model, 7)
    assert 'model.roi_head.bbox_head' in found
    if 'mask_rcnn' in config.name:
        assert 'model.roi_head.mask_head' in found
    assert cfg.model.roi_head.bbox_head.num_classes == 7
    assert 'num_classes' not in cfg.model.rpn_head or \
        cfg.model.rpn_head.num_classes != 7


def test_set_datasets_through_wrappers_and_variables(tmp_path):
    voc = dict(type='VOCDataset', data_root='data/VOCdevkit/', ann_file='a.txt',
               data_prefix=dict(sub_data_root='VOC2007/'), pipeline=[])
    cfg = Config(dict(
        data_root='data/VOCdevkit/', metainfo=dict(classes=('a', 'b', 'c')),
        train_dataloader=dict(dataset=dict(type='RepeatDataset', times=3,
                                           dataset=dict(type='ConcatDataset',
                                                        datasets=[voc, voc]))),
        val_dataloader=dict(dataset=dict(voc, test_mode=True)),
        test_dataloader=None))
    root = str(tmp_path)
    done = cd.set_datasets(cfg, root, CLASSES)
    assert done == ['train_dataloader.dataset.dataset.datasets[0]',
                    'val_dataloader.dataset']
    concat = cfg.train_dataloader.dataset.dataset
    assert len(concat.datasets) == 1  # not the folder twice
    train, val = concat.datasets[0], cfg.val_dataloader.dataset
    assert cfg.train_dataloader.dataset.times == 3
    for leaf, split in ((train, 'train'), (val, 'val')):
        assert leaf.type == 'CocoDataset'
        assert leaf.data_root == root
        assert leaf.ann_file == f'annotations/instances_{split}.json'
        assert leaf.data_prefix == dict(img=f'{split}/')
        assert leaf.metainfo.classes == CLASSES
        assert len(leaf.metainfo.palette) == 2
    assert val.test_mode
    assert cfg.data_root == root and cfg.metainfo.classes == CLASSES


def test_set_datasets_keeps_a_coco_subclass_and_its_colours(tmp_path):
    cfg = Config(dict(train_dataloader=dict(dataset=dict(
        type='LVISV1Dataset', metainfo=dict(classes=('a', 'b', 'c'),
                                            palette=[(1, 2, 3)] * 3)))))
    cd.set_datasets(cfg, str(tmp_path), CLASSES)
    assert cfg.train_dataloader.dataset.type == 'LVISV1Dataset'
    assert cfg.train_dataloader.dataset.metainfo.palette == [(1, 2, 3)] * 2


def test_palette_has_a_colour_per_class():
    assert len(cd._palette({}, 3)) == 3
    many = cd._palette(dict(palette=[(0, 0, 0)]), 100)  # more than COCO's 80
    assert len(many) == 100 and all(len(c) == 3 for c in many)
    assert many == cd._palette({}, 100)  # fixed, not random per run


def test_set_evaluators_sets_every_coco_metric(tmp_path):
    cfg = Config(dict(
        val_evaluator=dict(type='CocoMetric', ann_file='old.json', metric='bbox'),
        test_evaluator=[dict(type='mmdet.CocoMetric', ann_file='old.json'),
                        dict(type='VOCMetric')]))
    done = cd.set_evaluators(cfg, str(tmp_path))
    assert done == ['val_evaluator', 'test_evaluator[0]']
    expected = osp.join(str(tmp_path), 'annotations/instances_val.json')
    assert cfg.val_evaluator.ann_file == expected
    assert cfg.test_evaluator[0].ann_file == expected
    assert 'ann_file' not in cfg.test_evaluator[1]


def test_apply_custom_data_on_the_coco_config(folder):
    cfg = Config.fromfile(str(ROOT / 'configs/det/lighthead_shufflenetv2.py'))
    data = cd.apply_custom_data(cfg, str(folder))
    assert data.classes == CLASSES and data.data_root == str(folder.resolve())
    assert data.num_classes_at == ['model.roi_head.bbox_head']
    assert cfg.model.roi_head.bbox_head.num_classes == 2
    assert data.datasets_at == ['train_dataloader.dataset', 'val_dataloader.dataset',
                                'test_dataloader.dataset']
    assert cfg.test_dataloader.dataset.ann_file == 'annotations/instances_val.json'
    assert data.evaluators_at == ['val_evaluator', 'test_evaluator']
    assert cfg.val_evaluator.ann_file == str(folder / 'annotations/instances_val.json')
    lines = cd.describe_custom_data(data)
    assert "2 classes ('disc', 'box')" in lines[0]
    assert lines[1] == '  num_classes=2: model.roi_head.bbox_head'


def test_apply_custom_data_needs_num_classes_and_a_train_dataset(folder, tmp_path):
    (tmp_path / 'x.py').write_text("model = dict(type='X')\n")
    cfg = Config.fromfile(str(tmp_path / 'x.py'))
    with pytest.raises(CLIError, match='the model of .*x.py has no num_classes'):
        cd.apply_custom_data(cfg, str(folder))
    cfg = Config(dict(model=dict(bbox_head=dict(num_classes=3))))
    with pytest.raises(CLIError, match='has no train_dataloader.dataset'):
        cd.apply_custom_data(cfg, str(folder))
    seg = Config.fromfile(str(ROOT / 'configs/seg/fcn_shufflenetv2_shapes_demo.py'))
    with pytest.raises(CLIError, match='is a mmseg config'):
        cd.apply_custom_data(seg, str(folder))


def test_run_doctor_lists_the_problems(folder, truncate):
    cfg = Config.fromfile(str(DEMO))
    cd.apply_custom_data(cfg, str(folder))
    assert cd.run_doctor(cfg)['num_images'] == 8
    truncate(folder / 'train/000001.png')
    edit_json(folder / 'annotations/instances_val.json',
              lambda c: c['annotations'][0].update(category_id=7))
    with pytest.raises(cd.DatasetProblems, match='found 2 problems') as err:
        cd.run_doctor(cfg)
    lines = sorted(str(p) for p in err.value.problems)
    assert lines[0].startswith(str(folder / 'train/000001.png') + ': file: ')
    assert 'category_id' in lines[1] and 'val/' in lines[1]


# ---------------------------------------------------------------------------------
# tools/train.py --data


def test_train_errors_are_one_line(folder, capsys):
    with pytest.raises(SystemExit) as exit_:
        train_tool.main([str(DEMO), '--data', str(folder / 'nothing')])
    assert exit_.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith('train.py: error: --data ') and \
        'not a folder' in err[0]
    with pytest.raises(SystemExit) as exit_:
        train_tool.main([str(DEMO), '--auto-anchors'])
    assert exit_.value.code == 2
    assert '--auto-anchors needs --data DIR' in capsys.readouterr().err


def test_train_stops_on_the_doctors_problems(folder, truncate, capsys, tmp_path):
    truncate(folder / 'val/000002.png')
    with pytest.raises(SystemExit) as exit_:
        train_tool.main([str(DEMO), '--data', str(folder), '--work-dir',
                         str(tmp_path / 'work')])
    assert exit_.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith(str(folder / 'val/000002.png') + ': file: ')
    assert err[-1].startswith('train.py: error: the dataset doctor found 1 problems')
    assert not (tmp_path / 'work').exists()  # nothing was built


def test_train_options_still_win_over_what_data_sets(folder, tmp_path):
    args = train_tool.parse_args([
        str(DEMO), '--data', str(folder), '--work-dir', str(tmp_path / 'work'),
        '--cfg-options', 'test_dataloader.dataset.ann_file=annotations/'
        'instances_train.json', 'test_dataloader.dataset.data_prefix.img=train/'])
    cfg = train_tool.build_cfg(args)
    assert cfg.test_dataloader.dataset.ann_file == 'annotations/instances_train.json'
    assert cfg.test_dataloader.dataset.data_prefix.img == 'train/'
    assert cfg.val_dataloader.dataset.ann_file == 'annotations/instances_val.json'
    assert cfg.model.roi_head.bbox_head.num_classes == 2


def test_train_and_test_on_the_written_config(folder, run_tool, tmp_path):
    work_dir = tmp_path / 'work'
    train = run_tool(TRAIN, DEMO, '--data', folder, '--work-dir', work_dir,
                     '--auto-anchors', '--cfg-options', *CHEAP)
    assert train.returncode == 0, train.stderr[-3000:]
    out = train.stdout
    assert f"--data {folder}: 2 classes {CLASSES}" in out
    assert 'dataset doctor: 8 images checked, no problems' in out
    assert 'anchor check: ' in out and 'auto anchors (model.rpn_head' in out
    written = work_dir / DEMO.name
    assert f'resolved config: {written}' in out
    assert f'python tools/test.py {written} {work_dir / "iter_2.pth"}' in out

    cfg = Config.fromfile(str(written))
    assert cfg.model.roi_head.bbox_head.num_classes == 2
    for loader in ('train', 'val', 'test'):
        dataset = cfg[f'{loader}_dataloader'].dataset
        assert tuple(dataset.metainfo.classes) == CLASSES
        assert dataset.data_root == str(folder)
    assert cfg.val_evaluator.ann_file == str(folder / 'annotations/instances_val.json')
    assert cfg.model.rpn_head.anchor_generator.scales != [2, 4, 8]  # fitted
    ckpt = torch.load(work_dir / 'iter_2.pth', map_location='cpu', weights_only=False)
    assert tuple(ckpt['meta']['dataset_meta']['classes']) == CLASSES
    assert ckpt['state_dict']['roi_head.bbox_head.fc_cls.weight'].shape[0] == 3

    # the written config alone, from another folder: tools/test.py evaluates it
    test = run_tool(TEST, written, work_dir / 'iter_2.pth', '--work-dir',
                    tmp_path / 'test', cwd=tmp_path)
    assert test.returncode == 0, test.stderr[-3000:]
    assert 'coco/bbox_mAP' in test.stdout + test.stderr
    assert 'images_evaluated: 4' in test.stdout + test.stderr
