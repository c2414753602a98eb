import itertools
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from mmdet.datasets import CocoDataset
from PIL import Image
from pycocotools.coco import COCO

from shufflenet_backbones.toolkit.cli.generate_data import \
    generate_shapes_coco_main
from shufflenet_backbones.toolkit.data import (SHAPE_CLASSES, SHAPE_PALETTE,
                                               generate_shapes_coco)

SIZE = 96


def box_iou(a, b):
    inter_w = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    inter_h = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = inter_w * inter_h
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


@pytest.fixture(scope='module')
def shapes(tmp_path_factory):
    root = tmp_path_factory.mktemp('shapes')
    splits = generate_shapes_coco(str(root), num_train=60, num_val=6,
                                  image_size=SIZE, max_objects=2, seed=0)
    return root, splits


def test_layout_and_return_value(shapes):
    root, splits = shapes
    assert set(splits) == {'train', 'val'}
    for split, num in (('train', 60), ('val', 6)):
        info = splits[split]
        assert info['ann_file'] == str(root / f'annotations/instances_{split}.json')
        assert info['img_dir'] == str(root / split)
        assert info['num_images'] == num
        assert len(list((root / split).glob('*.png'))) == num


def test_same_seed_gives_identical_files(file_digests, tmp_path):
    kwargs = dict(num_train=3, num_val=2, image_size=48)
    generate_shapes_coco(str(tmp_path / 'a'), seed=3, **kwargs)
    generate_shapes_coco(str(tmp_path / 'b'), seed=3, **kwargs)
    generate_shapes_coco(str(tmp_path / 'c'), seed=4, **kwargs)
    a, b, c = (file_digests(tmp_path / d) for d in 'abc')
    assert a == b
    assert a.keys() == c.keys()
    assert all(a[name] != c[name] for name in a)


def test_train_and_val_differ(file_digests, shapes):
    root, _ = shapes
    train = set(file_digests(root / 'train').values())
    val = set(file_digests(root / 'val').values())
    assert not train & val


def test_annotations_load_and_match_polygons(shapes):
    root, splits = shapes
    coco = COCO(splits['train']['ann_file'])
    assert [c['name'] for c in coco.loadCats(coco.getCatIds())] == list(SHAPE_CLASSES)
    assert len(coco.getImgIds()) == 60
    for img_id in coco.getImgIds():
        img = coco.imgs[img_id]
        assert (img['width'], img['height']) == (SIZE, SIZE)
        anns = coco.imgToAnns[img_id]
        assert 1 <= len(anns) <= 2
        for a, b in itertools.combinations(anns, 2):
            assert box_iou(a['bbox'], b['bbox']) <= 0.1
        for ann in anns:
            assert ann['iscrowd'] == 0
            x, y, w, h = ann['bbox']
            assert 0 <= x and 0 <= y and x + w <= SIZE and y + h <= SIZE
            # large objects: the demo has to learn them quickly
            assert 0.15 * SIZE <= max(w, h) <= 0.6 * SIZE
            (poly, ) = ann['segmentation']
            points = np.array(poly).reshape(-1, 2)
            num_vertices = {1: 32, 2: 4, 3: 3}[ann['category_id']]
            assert len(points) == num_vertices
            np.testing.assert_allclose(
                [*points.min(0), *(points.max(0) - points.min(0))], ann['bbox'],
                atol=0.011)
            px, py = points.T
            shoelace = abs(px @ np.roll(py, -1) - py @ np.roll(px, -1)) / 2
            assert ann['area'] == pytest.approx(shoelace, abs=0.01)
            assert ann['area'] <= w * h


def test_masks_are_drawn_in_class_colour(shapes):
    root, splits = shapes
    coco = COCO(splits['train']['ann_file'])
    for ann in coco.loadAnns(coco.getAnnIds()):
        mask = coco.annToMask(ann).astype(bool)
        assert mask.sum() > 0.5 * ann['area']
        file_name = coco.imgs[ann['image_id']]['file_name']
        pixels = np.asarray(Image.open(root / 'train' / file_name), dtype=float)
        mean = pixels[mask].mean(0)
        nearest = np.argmin(np.linalg.norm(np.array(SHAPE_PALETTE) - mean, axis=1))
        assert nearest == ann['category_id'] - 1


def test_classes_are_roughly_balanced(shapes):
    _, splits = shapes
    coco = COCO(splits['train']['ann_file'])
    counts = Counter(ann['category_id'] for ann in coco.anns.values())
    for category_id in (1, 2, 3):
        assert counts[category_id] >= 0.2 * len(coco.anns)


def test_mmdet_coco_dataset_loads_it(shapes):
    root, splits = shapes
    for split in ('train', 'val'):
        dataset = CocoDataset(
            data_root=str(root), ann_file=f'annotations/instances_{split}.json',
            data_prefix=dict(img=f'{split}/'), metainfo=dict(classes=SHAPE_CLASSES),
            pipeline=[], lazy_init=False)
        assert len(dataset) == splits[split]['num_images']
        instances = [i for idx in range(len(dataset))
                     for i in dataset.get_data_info(idx)['instances']]
        assert len(instances) == splits[split]['num_instances']
        assert all(i['mask'] and i['ignore_flag'] == 0 for i in instances)
        assert {i['bbox_label'] for i in instances} <= {0, 1, 2}
        assert Path(dataset.get_data_info(0)['img_path']).is_file()


def test_cli(file_digests, tmp_path, capsys):
    out = tmp_path / 'out'
    generate_shapes_coco_main([
        str(out), '--num-train', '2', '--num-val', '1', '--size', '40',
        '--max-objects', '1', '--seed', '5'
    ])
    printed = capsys.readouterr().out
    assert 'train: 2 images, 2 objects' in printed
    assert 'val: 1 images, 1 objects' in printed
    assert str(out / 'annotations/instances_train.json') in printed
    generate_shapes_coco(str(tmp_path / 'api'), num_train=2, num_val=1,
                         image_size=40, max_objects=1, seed=5)
    assert file_digests(out) == file_digests(tmp_path / 'api')


def test_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match='size_range'):
        generate_shapes_coco(str(tmp_path), size_range=(0.5, 0.2))
    with pytest.raises(ValueError, match='max_objects'):
        generate_shapes_coco(str(tmp_path), max_objects=0)
