
import numpy as np
import pytest
from mmpretrain.datasets import CustomDataset, ImageNet
from PIL import Image

from shufflenet_backbones.toolkit.cli.generate_data import \
    generate_imagenet_folder_main
from shufflenet_backbones.toolkit.data import (SHAPE_CLASSES, SHAPE_PALETTE,
                                               SHAPE_WNIDS,
                                               generate_imagenet_folder)

SIZE = 48
PER_CLASS = dict(train=4, val=2)


@pytest.fixture(scope='module')
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp('imagenet')
    splits = generate_imagenet_folder(str(root), PER_CLASS, image_size=SIZE, seed=0)
    return root, splits


def test_layout_and_return_value(folder):
    root, splits = folder
    assert len(SHAPE_WNIDS) == len(SHAPE_CLASSES)
    assert list(SHAPE_WNIDS) == sorted(SHAPE_WNIDS)  # labels follow folder order
    assert set(splits) == set(PER_CLASS)
    for split, num in PER_CLASS.items():
        assert splits[split] == dict(img_dir=str(root / split),
                                     ann_file=str(root / 'meta' / f'{split}.txt'),
                                     num_images=3 * num)
        assert sorted(p.name for p in (root / split).iterdir()) == list(SHAPE_WNIDS)
        expected = [f'{wnid}/{wnid}_{i:06d}.png {label}'
                    for label, wnid in enumerate(SHAPE_WNIDS) for i in range(num)]
        assert (root / 'meta' / f'{split}.txt').read_text().splitlines() == expected
        for line in expected:
            with Image.open(root / split / line.split()[0]) as img:
                assert img.size == (SIZE, SIZE) and img.mode == 'RGB'


def test_mmpretrain_datasets_read_the_labels(folder):
    root, _ = folder
    for split, num in PER_CLASS.items():
        # as the ImageNet configs give it: meta/<split>.txt, ImageNet's 1000 classes
        imagenet = ImageNet(data_root=str(root), split=split, pipeline=[],
                            lazy_init=False)
        labels = [imagenet.get_data_info(i)['gt_label'] for i in range(len(imagenet))]
        assert labels == [label for label in range(3) for _ in range(num)]
        assert len(imagenet.CLASSES) == 1000
        # no ann_file: the class folders are scanned, giving the same labels
        scanned = CustomDataset(data_root=str(root), data_prefix=split, pipeline=[],
                                lazy_init=False)
        assert scanned.CLASSES == SHAPE_WNIDS
        assert sorted((info['img_path'], info['gt_label'])
                      for info in scanned) == sorted(
                          (info['img_path'], info['gt_label']) for info in imagenet)


def test_images_show_their_class(folder):
    """The shape's pixels (saturated; the background is grey) have the class
    colour: what lets a few iterations learn something."""
    root, _ = folder
    for line in (root / 'meta' / 'train.txt').read_text().splitlines():
        name, label = line.split()
        pixels = np.asarray(Image.open(root / 'train' / name), dtype=float)
        saturated = pixels.max(-1) - pixels.min(-1) > 80
        assert 0.05 < saturated.mean() < 0.9, name  # a large shape, not the image
        mean = pixels[saturated].mean(0)
        nearest = np.argmin(np.linalg.norm(np.array(SHAPE_PALETTE) - mean, axis=1))
        assert nearest == int(label), name


def test_deterministic(file_digests, folder, tmp_path):
    root, _ = folder
    generate_imagenet_folder(str(tmp_path / 'same'), PER_CLASS, SIZE, seed=0)
    assert file_digests(tmp_path / 'same') == file_digests(root)
    # a split's images do not depend on which other splits are written
    generate_imagenet_folder(str(tmp_path / 'val'), dict(val=2), SIZE, seed=0)
    assert file_digests(tmp_path / 'val' / 'val') == file_digests(root / 'val')
    generate_imagenet_folder(str(tmp_path / 'other'), PER_CLASS, SIZE, seed=1)
    other = file_digests(tmp_path / 'other')
    assert other.keys() == file_digests(root).keys()
    assert all(other[name] != digest
               for name, digest in file_digests(root).items() if name.endswith('.png'))


def test_train_and_val_differ(file_digests, folder):
    root, _ = folder
    train = set(file_digests(root / 'train').values())
    assert not train & set(file_digests(root / 'val').values())


@pytest.mark.parametrize('kwargs,match', [
    (dict(per_class={}), 'per_class must be a non-empty dict'),
    (dict(per_class=[('train', 2)]), 'per_class must be a non-empty dict'),
    (dict(per_class=dict(test=2)), "unknown split 'test'"),
    (dict(per_class=dict(train=0)), r"per_class\['train'\] must be a positive int"),
    (dict(per_class=dict(val=1.5)), r"per_class\['val'\] must be a positive int"),
    (dict(image_size=0), 'image_size must be a positive int'),
    (dict(image_size=(32, 32, 3)), 'image_size must be a positive int'),
    (dict(size_range=(0.9, 0.5)), 'size_range'),
    (dict(noise_std=-1), 'noise_std must be at least 0'),
    (dict(colour_jitter=-3), 'colour_jitter must be at least 0'),
])
def test_rejects_bad_arguments(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        generate_imagenet_folder(str(tmp_path / 'out'), **kwargs)
    assert not (tmp_path / 'out').exists()  # checked before anything is written


def test_cli(file_digests, tmp_path, capsys):
    out = tmp_path / 'cli'
    generate_imagenet_folder_main([str(out), '--num-train', '2', '--num-val', '1',
                                   '--size', '32', '--seed', '3'])
    printed = capsys.readouterr().out
    assert f'train: 6 images -> {out / "train"}/' in printed
    assert f'val: 3 images -> {out / "val"}/' in printed
    generate_imagenet_folder(str(tmp_path / 'api'), dict(train=2, val=1), 32, seed=3)
    assert file_digests(out) == file_digests(tmp_path / 'api')
