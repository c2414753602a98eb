"""ImageNet pretraining configs (configs/cls/*.py) and the backbone export.

Every config builds in mmpretrain's scope with this package's backbone, follows the
papers' recipe and takes one training step. Then the ShuffleNet V1 (g=3) and V2
configs run end to end as a user runs them: tools/train.py for 2 iterations on a
tiny ImageNet-style folder (generate_imagenet_folder), tools/test.py,
tools/model_converters/extract_backbone.py, and the exported weights loaded into the
detection configs' backbone. About 1.5 minutes on 2 CPU cores.
"""
import os.path as osp
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmpretrain.models.losses import LabelSmoothLoss
from mmpretrain.registry import MODELS, PARAM_SCHEDULERS
from mmpretrain.structures import DataSample
from torch.nn.modules.batchnorm import _BatchNorm

import shufflenet_backbones  # noqa: F401  (registers ours, allow-lists checkpoints)
from shufflenet_backbones.models import (ShuffleNetV1, ShuffleNetV2,
                                         ShuffleNetV2Star, SNet)
from shufflenet_backbones.toolkit.data import generate_imagenet_folder

ROOT = Path(__file__).parents[2]
CLS_CONFIGS = sorted((ROOT / 'configs' / 'cls').glob('*.py'))
TRAIN = str(ROOT / 'tools' / 'train.py')
TEST = str(ROOT / 'tools' / 'test.py')
EXPORT = str(ROOT / 'tools' / 'model_converters' / 'extract_backbone.py')

# config -> (our backbone class, the attributes that select its widths)
EXPECTED = {
    'shufflenetv1_g3_imagenet.py': (ShuffleNetV1, dict(groups=3, widen_factor=1.0)),
    'shufflenetv1_g8_imagenet.py': (ShuffleNetV1, dict(groups=8, widen_factor=1.0)),
    'shufflenetv2_imagenet.py': (ShuffleNetV2, dict(widen_factor=1.0)),
    'shufflenetv2star_imagenet.py': (ShuffleNetV2Star, dict(widen_factor=1.0)),
    'shufflenetv2star_from_v2_finetune_imagenet.py': (ShuffleNetV2Star,
                                                      dict(widen_factor=1.0)),
    'snet49_imagenet.py': (SNet, dict(arch=49)),
    'snet146_imagenet.py': (SNet, dict(arch=146)),
    'snet535_imagenet.py': (SNet, dict(arch=535)),
}
# config -> (iterations, peak lr) where not the papers' (300k, 0.5)
SCHEDULES = {'shufflenetv2star_from_v2_finetune_imagenet.py': (30000, 0.05)}
by_name = pytest.mark.parametrize('path', CLS_CONFIGS, ids=lambda p: p.name)


def build(cfg):
    """The classifier and its optimizer wrapper, built as the Runner builds them
    (but for ImageNet weights, which this machine has not: the fine-tune config's
    are tested in tests/test_weights/test_v2_to_v2star.py)."""
    if cfg.model.backbone.get('init_cfg'):
        cfg.model.backbone.init_cfg = None
        cfg.model.head.pop('init_cfg', None)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
        model.init_weights()
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    return model, optim_wrapper


def test_every_cls_config_is_collected():
    assert {p.name for p in CLS_CONFIGS} == set(EXPECTED)


@by_name
def test_config_builds_our_backbone_in_mmpretrain_scope(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmpretrain'
    assert cfg.custom_imports == dict(imports=['shufflenet_backbones'],
                                      allow_failed_imports=False)
    # a bare name would build mmpretrain's own ShuffleNet
    assert cfg.model.backbone.type.startswith('shufflenet_backbones.')
    model, _ = build(cfg)
    cls, attributes = EXPECTED[path.name]
    assert type(model.backbone) is cls
    for name, value in attributes.items():
        assert getattr(model.backbone, name) == value, name
    # the classifier reads the deepest feature map the backbone has
    assert model.backbone.feature_info[-1] == model.backbone.all_features[-1]
    assert type(model.neck).__name__ == 'GlobalAveragePooling'
    assert type(model.head).__name__ == 'LinearClsHead'
    assert model.head.num_classes == 1000
    assert model.head.fc.in_features == model.backbone.out_channels[-1]


@by_name
def test_no_weight_decay_on_bn_and_biases(path):
    cfg = Config.fromfile(path)
    model, optim_wrapper = build(cfg)
    _, peak_lr = SCHEDULES.get(path.name, (300000, 0.5))
    decay = {}
    for group in optim_wrapper.optimizer.param_groups:
        assert group['lr'] == peak_lr and group['momentum'] == 0.9
        for param in group['params']:
            decay[id(param)] = group['weight_decay']
    assert len(decay) == len(list(model.parameters()))
    checked = dict(bn=0, bias=0, weight=0)
    for module in model.modules():
        for name, param in module.named_parameters(recurse=False):
            if isinstance(module, _BatchNorm):
                kind, expected = 'bn', 0.0
            elif name == 'bias':
                kind, expected = 'bias', 0.0
            else:  # conv and FC weights
                kind, expected = 'weight', 4e-5
            assert decay[id(param)] == expected, (type(module).__name__, name)
            checked[kind] += 1
    assert all(checked.values()), checked  # each kind was there to check
    assert model.head.fc.bias is not None


_lr_curves = {}


def lr_curve(cfg) -> np.ndarray:
    """The lr of every training iteration, as ParamSchedulerHook sets it (cached:
    the configs share one schedule)."""
    key = (repr(cfg.param_scheduler), cfg.train_cfg.max_iters,
           cfg.optim_wrapper.optimizer.lr)
    if key not in _lr_curves:
        param = torch.zeros(1, requires_grad=True)
        optimizer = torch.optim.SGD([param], lr=cfg.optim_wrapper.optimizer.lr)
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            schedulers = [
                PARAM_SCHEDULERS.build(dict(s, optimizer=optimizer))
                for s in cfg.param_scheduler
            ]
        lrs = np.empty(cfg.train_cfg.max_iters)
        for i in range(len(lrs)):
            lrs[i] = optimizer.param_groups[0]['lr']
            for scheduler in schedulers:
                scheduler.step()
        _lr_curves[key] = lrs
    return _lr_curves[key]


@by_name
@pytest.mark.filterwarnings('ignore:Detected call of `scheduler.step()`')
def test_lr_decays_linearly_to_zero(path):
    cfg = Config.fromfile(path)
    assert cfg.train_cfg.type == 'IterBasedTrainLoop'
    max_iters = cfg.train_cfg.max_iters
    expected_iters, peak_lr = SCHEDULES.get(path.name, (300000, 0.5))
    assert max_iters == expected_iters
    # 128 per GPU x 8 GPUs: the papers' 1024, which lr 0.5 is for
    assert cfg.train_dataloader.batch_size * 8 == 1024
    assert cfg.auto_scale_lr.base_batch_size == 1024
    lrs = lr_curve(cfg)
    assert lrs[0] == pytest.approx(peak_lr)
    assert lrs[-1] == pytest.approx(0.0, abs=1e-9)
    # linear: equal steps all the way down
    np.testing.assert_allclose(lrs, peak_lr * (1 - np.arange(max_iters) /
                                               (max_iters - 1)), atol=1e-7)


@by_name
def test_label_smoothing(path):
    cfg = Config.fromfile(path)
    model, _ = build(cfg)
    loss = model.head.loss_module
    assert isinstance(loss, LabelSmoothLoss) and loss.label_smooth_val == 0.1
    # Megvii's CrossEntropyLabelSmooth: target (1 - 0.1) * one-hot + 0.1 / classes
    logits = torch.randn(4, 1000)
    labels = torch.tensor([0, 5, 999, 42])
    target = F.one_hot(labels, 1000) * 0.9 + 0.1 / 1000
    expected = -(target * logits.log_softmax(1)).sum(1).mean()
    torch.testing.assert_close(loss(logits, labels), expected)


@by_name
def test_config_trains_one_step_and_predicts(path):
    cfg = Config.fromfile(path)
    model, optim_wrapper = build(cfg)
    data = dict(
        inputs=[torch.randint(0, 256, (3, 64, 64), dtype=torch.uint8)
                for _ in range(2)],
        data_samples=[DataSample().set_gt_label(label) for label in (3, 998)])
    model.train()
    before = model.head.fc.weight.detach().clone()
    log_vars = model.train_step(data, optim_wrapper)
    assert torch.isfinite(log_vars['loss'])
    assert not torch.equal(before, model.head.fc.weight)

    model.eval()
    with torch.no_grad():
        results = model.val_step(data)
    assert len(results) == 2
    for result in results:
        assert result.pred_score.shape == (1000, )
        assert 0 <= int(result.pred_label) < 1000


# ---------------------------------------------------------------------------------
# end to end: train, test, export, load into a detection backbone

# config -> the backbone of configs/det that its exported weights initialise
E2E = {
    'shufflenetv1_g3_imagenet.py': (ShuffleNetV1,
                                    dict(groups=3, out_indices=(1, 2))),
    'shufflenetv2_imagenet.py': (ShuffleNetV2, dict(out_indices=(1, 3))),
}


@pytest.fixture(scope='module')
def imagenet_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('imagenet')
    generate_imagenet_folder(str(root), dict(train=2, val=1), image_size=64)
    return str(root)


def data_options(data_root: str, loaders) -> list:
    options = []
    for loader in loaders:
        options += [f'{loader}.dataset.data_root={data_root}',
                    f'{loader}.num_workers=0', f'{loader}.batch_size=2']
    return options


@pytest.fixture(scope='module', params=sorted(E2E))
def trained(run_tool, request, imagenet_root, tmp_path_factory):
    """A 2-iteration run of a config on the tiny dataset, validated at its end
    (training is the expensive part: the tests below share it)."""
    tmp = tmp_path_factory.mktemp('cls')
    config = str(ROOT / 'configs' / 'cls' / request.param)
    work_dir = tmp / 'work'
    result = run_tool(
        TRAIN, config, '--work-dir', str(work_dir), '--cfg-options',
        *data_options(imagenet_root, ('train_dataloader', 'val_dataloader')),
        'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
        'default_hooks.logger.interval=1', 'randomness.seed=0')
    assert result.returncode == 0, result.stderr[-3000:]
    backbone_cls, det_kwargs = E2E[request.param]
    return dict(tmp=tmp, config=config, data_root=imagenet_root, work_dir=work_dir,
                checkpoint=str(work_dir / 'iter_2.pth'), backbone_cls=backbone_cls,
                det_kwargs=det_kwargs, log=result.stdout + result.stderr)


def test_train_tool_trains_and_validates(trained):
    assert osp.isfile(trained['checkpoint'])
    assert 'accuracy/top1' in trained['log']  # validation ran at iteration 2
    ckpt = torch.load(trained['checkpoint'], map_location='cpu', weights_only=True)
    assert ckpt['meta']['iter'] == 2
    assert len(ckpt['meta']['dataset_meta']['classes']) == 1000  # ImageNet's
    # the recipe's lr, one linear step down after the first iteration
    lr = ckpt['optimizer']['param_groups'][0]['lr']
    assert lr == pytest.approx(0.5 * (1 - 2 / 299999))


def test_test_tool_evaluates(run_tool, trained, tmp_path):
    result = run_tool(
        TEST, trained['config'], trained['checkpoint'], '--work-dir', str(tmp_path),
        '--cfg-options', *data_options(trained['data_root'], ('test_dataloader', )))
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'accuracy/top1' in result.stdout + result.stderr


@pytest.fixture(scope='module')
def exported(run_tool, trained):
    dst = str(trained['tmp'] / 'export' / 'backbone.pth')
    result = run_tool(EXPORT, trained['checkpoint'], dst)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f'shufflenet_backbones.{trained["backbone_cls"].__name__} ' in result.stdout
    return dst


def test_export_keeps_only_the_backbone(trained, exported):
    out = torch.load(exported, map_location='cpu', weights_only=True)
    assert set(out) == {'state_dict', 'meta'}
    src = torch.load(trained['checkpoint'], map_location='cpu',
                     weights_only=True)['state_dict']
    expected = {k: v for k, v in src.items() if k.startswith('backbone.')}
    assert list(out['state_dict']) == list(expected)
    for key, value in expected.items():
        assert torch.equal(out['state_dict'][key], value), key
    meta = out['meta']
    assert meta['iter'] == 2 and meta['num_tensors'] == len(expected)
    assert meta['backbone']['type'] == ('shufflenet_backbones.' +
                                        trained['backbone_cls'].__name__)
    assert meta['extracted_from'] == osp.abspath(trained['checkpoint'])


def test_exported_backbone_loads_into_detector_backbone(trained, exported):
    # the detection configs' backbone (stage3 and the last feature), every layer kept
    backbone = trained['backbone_cls'](
        **trained['det_kwargs'], widen_factor=1.0, frozen_stages=0, norm_eval=True,
        init_cfg=dict(type='Pretrained', checkpoint=exported, prefix='backbone.'))
    backbone.init_weights()
    trained_sd = torch.load(trained['checkpoint'], map_location='cpu',
                            weights_only=True)['state_dict']
    loaded = backbone.state_dict()
    assert len(loaded) == sum(k.startswith('backbone.') for k in trained_sd)
    for key, value in loaded.items():
        assert torch.equal(value, trained_sd[f'backbone.{key}']), key
