"""Segmentation: every ``configs/seg`` config builds, takes one training step and
predicts; the generated COCO-Stuff-layout shapes data; and the FCN demo config and
the DeepLabV3+ COCO-Stuff config, each trained for 2 iterations by tools/train.py
and evaluated by tools/test.py (subprocesses) on the generated data. About 1.5
minutes on 2 CPU cores. CheckSegLabels itself: tests/test_datasets/test_transforms.py.
"""
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from mmseg.datasets import COCOStuffDataset
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from PIL import Image

import shufflenet_backbones  # noqa: F401
from shufflenet_backbones.toolkit.cli.generate_data import \
    generate_shapes_stuff_main
from shufflenet_backbones.toolkit.data.synthetic_shapes import SHAPE_PALETTE
from shufflenet_backbones.toolkit.data.synthetic_stuff import (
    IGNORE_INDEX, STUFF_CLASSES, generate_shapes_stuff)

ROOT = Path(__file__).parents[2]
SEG_CONFIGS = sorted((ROOT / 'configs' / 'seg').glob('*.py'))
COCO_STUFF_CONFIGS = [p for p in SEG_CONFIGS if p.name.endswith('cocostuff164k.py')]
DEMO_CONFIG = ROOT / 'configs' / 'seg' / 'fcn_shufflenetv2_shapes_demo.py'
DEEPLAB_CONFIG = (ROOT / 'configs' / 'seg' /
                  'deeplabv3plus_shufflenetv2_os8_cocostuff164k.py')
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
SIZE = 128


def sync_bn_to_bn(node):
    """SyncBN -> BN everywhere in a config (SyncBN needs a process group)."""
    if isinstance(node, dict):
        if node.get('type') == 'SyncBN':
            node['type'] = 'BN'
        for value in node.values():
            sync_bn_to_bn(value)
    elif isinstance(node, list):
        for value in node:
            sync_bn_to_bn(value)


def random_batch(num_classes, num_images=2):
    inputs, samples = [], []
    for _ in range(num_images):
        inputs.append(torch.randint(0, 256, (3, SIZE, SIZE), dtype=torch.uint8))
        labels = torch.randint(0, num_classes, (1, SIZE, SIZE))
        labels[:, :4] = IGNORE_INDEX  # an ignored strip, as borders in real data
        sample = SegDataSample(gt_sem_seg=PixelData(data=labels))
        sample.set_metainfo(dict(img_shape=(SIZE, SIZE), ori_shape=(SIZE, SIZE),
                                 pad_shape=(SIZE, SIZE)))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


# ---------------------------------------------------------------------------------
# configs


def test_every_seg_config_is_collected():
    # DeepLabV3+ and FCN for V1, V2, V2*, and the demo
    assert len(COCO_STUFF_CONFIGS) == 6
    assert DEMO_CONFIG in SEG_CONFIGS


@pytest.mark.parametrize('path', COCO_STUFF_CONFIGS, ids=lambda p: p.name)
def test_coco_stuff_config_settings(path):
    cfg = Config.fromfile(path)
    assert 'shufflenet_backbones' in cfg.custom_imports.imports
    assert cfg.default_scope == 'mmseg'
    init = cfg.model.backbone.init_cfg
    # V2* starts from V2's weights (tests/test_weights/test_v2_to_v2star.py)
    expected = 'PretrainedV2' if 'shufflenetv2star' in path.name else 'Pretrained'
    assert init.type == expected and init.prefix == 'backbone.'
    assert init.checkpoint.startswith('checkpoints/')
    assert cfg.model.decode_head.num_classes == 171
    assert cfg.model.decode_head.norm_cfg.type == 'SyncBN'
    head = cfg.model.decode_head.type
    os_ = 8 if head == 'DepthwiseSeparableASPPHead' else 16
    assert f'_os{os_}_' in path.name
    assert cfg.val_evaluator.type == 'IoUMetric'
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[loader].dataset
        assert dataset.type == 'COCOStuffDataset'
        assert dataset.data_root.rstrip('/') == 'data/coco_stuff164k'
        types = [t.type for t in dataset.pipeline]
        # the check sees the file's values, before crops / pads add 255
        check = dataset.pipeline[types.index('LoadAnnotations') + 1]
        assert check.type == 'CheckSegLabels' and check.num_classes == 171


@pytest.mark.parametrize('path', SEG_CONFIGS, ids=lambda p: p.name)
def test_config_trains_one_step_and_predicts(path):
    cfg = Config.fromfile(path)
    sync_bn_to_bn(cfg.model)
    cfg.model.backbone.init_cfg = None  # no ImageNet weights on this machine
    cfg.model.data_preprocessor.size = (SIZE, SIZE)  # not the 512 crops
    num_classes = cfg.model.decode_head.num_classes
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(cfg.model)
        model.init_weights()
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)

    # the output strides the config names: stem 4 for the decoder, 8 or 16 last
    strides = model.backbone.out_strides
    if cfg.model.decode_head.type == 'DepthwiseSeparableASPPHead':
        assert strides[0] == 4 and strides[-1] == 8
    else:
        assert strides[-1] == 16

    batch = random_batch(num_classes)
    model.train()
    data = model.data_preprocessor(batch, training=True)
    losses = model(**data, mode='loss')
    loss, log_vars = model.parse_losses(losses)
    assert torch.isfinite(loss)
    assert 'decode.loss_ce' in log_vars
    if cfg.model.get('auxiliary_head'):
        assert 'aux.loss_ce' in log_vars
    optim_wrapper.update_params(loss)

    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(batch, training=False)
        results = model(**data, mode='predict')
    assert len(results) == 2
    for result in results:
        pred = result.pred_sem_seg.data
        assert pred.shape == (1, SIZE, SIZE)
        assert 0 <= int(pred.min()) and int(pred.max()) < num_classes


# ---------------------------------------------------------------------------------
# generated data


@pytest.fixture(scope='module')
def stuff(tmp_path_factory):
    root = tmp_path_factory.mktemp('stuff')
    splits = generate_shapes_stuff(str(root), 8, 4, SIZE, 0)
    return root, splits


def test_generator_layout_matches_coco_stuff(stuff):
    root, splits = stuff
    for split, folder, num in (('train', 'train2017', 8), ('val', 'val2017', 4)):
        assert splits[split]['num_images'] == num
        names = [f'{i:012d}' for i in range(num)]
        assert sorted(p.name for p in (root / 'images' / folder).iterdir()) == [
            n + '.jpg' for n in names]
        assert sorted(p.name for p in (root / 'annotations' / folder).iterdir()) == [
            n + '_labelTrainIds.png' for n in names]
        # mmseg's own dataset class pairs every image with its label map
        dataset = COCOStuffDataset(
            data_root=str(root), lazy_init=False, pipeline=[],
            data_prefix=dict(img_path=f'images/{folder}',
                             seg_map_path=f'annotations/{folder}'))
        assert len(dataset) == num
        for info in dataset:
            assert Path(info['seg_map_path']).name == (
                Path(info['img_path']).stem + '_labelTrainIds.png')


def test_generator_labels_match_images(stuff):
    root, splits = stuff
    seen = set()
    for png in sorted((root / 'annotations' / 'train2017').glob('*.png')):
        labels = np.asarray(Image.open(png))
        jpg = png.name.replace('_labelTrainIds.png', '.jpg')
        image = np.asarray(Image.open(root / 'images' / 'train2017' / jpg))
        assert labels.dtype == np.uint8 and labels.shape == (SIZE, SIZE)
        assert image.shape == (SIZE, SIZE, 3)
        values = set(np.unique(labels).tolist())
        assert values <= {0, 1, 2, 3, IGNORE_INDEX}
        seen |= values
        # the pixels of a shape class have (about) its colour: labels fit the image
        for label in values - {0, IGNORE_INDEX}:
            mean = image[labels == label].mean(0)
            assert np.abs(mean - SHAPE_PALETTE[label - 1]).max() < 40, (png, label)
    assert seen == {0, 1, 2, 3, IGNORE_INDEX}
    pixels = splits['train']['class_pixels']
    assert list(pixels) == list(STUFF_CLASSES) and all(pixels.values())
    assert splits['train']['ignored_pixels'] > 0


def test_generator_is_deterministic(file_digests, stuff, tmp_path):
    root, _ = stuff
    generate_shapes_stuff(str(tmp_path / 'same'), 8, 4, SIZE, 0)
    assert file_digests(tmp_path / 'same') == file_digests(root)
    generate_shapes_stuff(str(tmp_path / 'other'), 8, 4, SIZE, 1)
    assert file_digests(tmp_path / 'other') != file_digests(root)


def test_generator_cli(tmp_path, capsys):
    out = tmp_path / 'cli'
    generate_shapes_stuff_main([str(out), '--num-train', '2', '--num-val', '1',
                                '--size', '64'])
    assert len(list((out / 'images' / 'train2017').glob('*.jpg'))) == 2
    assert len(list((out / 'annotations' / 'val2017').glob('*.png'))) == 1
    assert 'train: 2 images' in capsys.readouterr().out


# ---------------------------------------------------------------------------------
# tools/train.py and tools/test.py, one config per head


def small_run_options(config, data_root) -> list:
    """--cfg-options for 2 iterations on the generated data, in seconds on CPU:
    the images at their 128x128 (the COCO-Stuff pipelines resize to 2048x512 and
    crop 512x512) and no ImageNet weights (none on this machine)."""
    cfg = Config.fromfile(config)
    options = [
        'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
        'train_dataloader.batch_size=2', 'model.backbone.init_cfg=None',
        f'model.data_preprocessor.size=({SIZE},{SIZE})'
    ]
    for loader in LOADERS:
        options += [f'{loader}.dataset.data_root={data_root}',
                    f'{loader}.num_workers=0', f'{loader}.persistent_workers=False']
        for index, transform in enumerate(cfg[loader].dataset.pipeline):
            key = dict(RandomResize='scale', Resize='scale',
                       RandomCrop='crop_size').get(transform.type)
            if key:
                options.append(
                    f'{loader}.dataset.pipeline.{index}.{key}=({SIZE},{SIZE})')
    return options


@pytest.mark.parametrize('config', [DEMO_CONFIG, DEEPLAB_CONFIG],
                         ids=lambda p: p.name)
def test_config_trains_and_tests_end_to_end(run_tool, stuff, tmp_path, config):
    root, _ = stuff
    work_dir = tmp_path / 'work'
    options = small_run_options(config, root)
    train = run_tool(ROOT / 'tools' / 'train.py', config, '--work-dir', work_dir,
                     '--cfg-options', *options)
    assert train.returncode == 0, train.stderr[-3000:]
    assert 'mIoU' in train.stdout + train.stderr  # validation at the end
    checkpoint = (work_dir / 'last_checkpoint').read_text().strip()
    assert checkpoint.endswith('iter_2.pth')

    show_dir = tmp_path / 'drawn'  # absolute: see tools/demo_segmentation.sh
    test = run_tool(ROOT / 'tools' / 'test.py', config, checkpoint, '--work-dir',
                    work_dir, '--show-dir', show_dir, '--cfg-options', *options)
    assert test.returncode == 0, test.stderr[-3000:]
    miou = re.findall(r'mIoU: ([0-9.]+)', test.stdout + test.stderr)
    assert miou and 0 <= float(miou[-1]) <= 100
    drawn = list((show_dir / 'vis_data' / 'vis_image').glob('*.png'))
    assert len(drawn) == 4  # every val image
