"""V2* from V2 in the workflow: tools/model_converters/shufflenetv2_to_v2star.py end
to end and its one-line errors, the configs that start V2* from V2 (detection,
segmentation, the ImageNet fine-tune), a short training run that starts at V2's
loss, and tools/train.py's check of the V2 file. The conversion itself is tested
in tests/test_models/test_backbones/test_v2star_from_v2.py."""
from pathlib import Path

import pytest
import torch
import torchvision
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmengine.runner import load_checkpoint
from mmpretrain.registry import MODELS as PRETRAIN_MODELS
from mmpretrain.structures import DataSample

import shufflenet_backbones  # noqa: F401
from shufflenet_backbones.models import (ShuffleNetV1, ShuffleNetV2,
                                         ShuffleNetV2Star)
from shufflenet_backbones.toolkit.cli import train as train_tool
from shufflenet_backbones.toolkit.cli.shufflenetv2_to_v2star import main
from shufflenet_backbones.toolkit.errors import CLIError

ROOT = Path(__file__).parents[3]
TOOL = ROOT / 'tools' / 'model_converters' / 'shufflenetv2_to_v2star.py'
V2_CLS = ROOT / 'configs' / 'cls' / 'shufflenetv2_imagenet.py'
V2STAR_CLS = ROOT / 'configs' / 'cls' / 'shufflenetv2star_imagenet.py'
FINETUNE = ROOT / 'configs' / 'cls' / 'shufflenetv2star_from_v2_finetune_imagenet.py'
ALL = (-1, 0, 1, 2, 3)
BATCH = (2, 3, 64, 64)
TOLERANCE = 1e-6  # of each map's peak


def build_classifier(config, **backbone):
    """The classifier of a configs/cls config, as the Runner builds it."""
    cfg = Config.fromfile(config)
    cfg.model.backbone.update(backbone)
    cfg.model.setdefault('data_preprocessor', cfg.data_preprocessor)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = PRETRAIN_MODELS.build(cfg.model)
        model.init_weights()
    return model, cfg


def worst_relative_difference(a_outputs, b_outputs):
    return max(((a - b).abs().max() / a.abs().max()).item()
               for a, b in zip(a_outputs, b_outputs))


@pytest.fixture(scope='module')
def v2_classifier(randomise_bn, tmp_path_factory):
    """A V2 1x ImageNet classifier (configs/cls) with trained-looking BN, and its
    checkpoint as a training run writes it."""
    torch.manual_seed(0)
    model, _ = build_classifier(V2_CLS)
    # random statistics (variances 0.5-2): those of one small batch would leave
    # variances near 0 that make this untrained network's gradients explode
    randomise_bn(model.backbone)
    # a head with logits of std ~2: a loss far from a random classifier's ln(1000)
    with torch.no_grad():
        features = model.extract_feat(model.data_preprocessor(batch())['inputs'])
    rms = features[-1].square().mean().sqrt()
    torch.nn.init.normal_(model.head.fc.weight, std=2 / (rms * 32).item())
    path = tmp_path_factory.mktemp('v2') / 'shufflenetv2_x1_0.pth'
    torch.save(dict(state_dict=model.state_dict(), meta=dict(iter=300000)), path)
    return model.eval(), str(path)


def batch(num_images=2, size=64, seed=1):
    generator = torch.Generator().manual_seed(seed)
    return dict(
        inputs=[torch.randint(0, 256, (3, size, size), dtype=torch.uint8,
                              generator=generator) for _ in range(num_images)],
        data_samples=[DataSample().set_gt_label(label)
                      for label in torch.randint(1000, (num_images, ),
                                                 generator=generator).tolist()])


def logits(model, data):
    model.eval()
    with torch.no_grad():
        return model(**model.data_preprocessor(data), mode='tensor')


# ---------------------------------------------------------------------------------
# the converter tool


def test_tool_converts_a_classifier_checkpoint(run_tool, v2_classifier, tmp_path):
    v2, src = v2_classifier
    dst = tmp_path / 'out' / 'shufflenetv2star_x1_0.pth'
    result = run_tool(TOOL, src, dst)
    assert result.returncode == 0, result.stderr[-2000:]
    assert '1.0x ShuffleNetV2Star from V2' in result.stdout
    assert str(dst) in result.stdout
    out = torch.load(dst, map_location='cpu', weights_only=True)
    assert out['meta']['converted_from'] == src and out['meta']['widen_factor'] == 1.0
    for key in ('head.fc.weight', 'head.fc.bias'):  # the rest of the model kept
        assert torch.equal(out['state_dict'][key], v2.state_dict()[key])

    star, _ = build_classifier(V2STAR_CLS)
    load_checkpoint(star, str(dst), map_location='cpu', strict=True)
    data = batch()
    assert worst_relative_difference([logits(v2, data)],
                                     [logits(star, data)]) <= TOLERANCE


def test_tool_converts_a_torchvision_file(randomise_bn, tmp_path):
    reference = randomise_bn(torchvision.models.shufflenet_v2_x0_5())
    src, dst = tmp_path / 'tv.pth', tmp_path / 'star.pth'
    torch.save(reference.state_dict(), src)
    main([str(src), str(dst)])
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        star = PRETRAIN_MODELS.build(dict(
            type='ImageClassifier',
            backbone=dict(type='shufflenet_backbones.ShuffleNetV2Star',
                          widen_factor=0.5),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=1000, in_channels=1024)))
    load_checkpoint(star, str(dst), map_location='cpu', strict=True)
    x = torch.rand(*BATCH)
    with torch.no_grad():
        torch.testing.assert_close(star.eval()(x, mode='tensor'), reference(x),
                                   rtol=1e-5, atol=1e-5)


def test_tool_converts_a_bare_backbone(randomise_bn, tmp_path):
    # a model with BN eps 1e-3 throughout: --bn-eps gives it to the extra BNs
    norm_cfg = dict(type='BN', eps=1e-3)
    v2 = randomise_bn(ShuffleNetV2(1.5, out_indices=ALL, norm_cfg=norm_cfg),
                      batch_shape=BATCH)
    src, dst = tmp_path / 'v2.pth', tmp_path / 'star.pth'
    torch.save(v2.state_dict(), src)
    main([str(src), str(dst), '--bn-eps', '1e-3'])
    star = ShuffleNetV2Star(1.5, out_indices=ALL, norm_cfg=norm_cfg)
    star.load_state_dict(torch.load(dst, weights_only=True)['state_dict'])
    x = torch.rand(*BATCH)
    with torch.no_grad():
        assert worst_relative_difference(v2(x), star.eval()(x)) <= TOLERANCE


def v1_checkpoint():
    return {f'backbone.{k}': v for k, v in ShuffleNetV1().state_dict().items()}


def v2star_checkpoint():
    return {f'backbone.{k}': v
            for k, v in ShuffleNetV2Star(0.5).state_dict().items()}


@pytest.mark.parametrize('content,expected', [
    (None, 'checkpoint not found: '),
    (lambda: torchvision.models.resnet18().state_dict(),
     'is not a ShuffleNetV2 checkpoint (keys: conv1.weight'),
    (v1_checkpoint, 'is not a ShuffleNetV2 checkpoint (keys: backbone.conv1'),
    (v2star_checkpoint, 'is already a ShuffleNetV2Star checkpoint'),
    (lambda: [1, 2], 'holds a list, not a dict'),
])
def test_tool_errors_are_one_line(tmp_path, capsys, content, expected):
    src, dst = tmp_path / 'src.pth', tmp_path / 'dst.pth'
    if content is not None:
        torch.save(content(), src)
    with pytest.raises(SystemExit) as exit_info:
        main([str(src), str(dst)])
    assert exit_info.value.code == 1
    (line, ) = capsys.readouterr().err.splitlines()
    assert line.startswith('shufflenetv2_to_v2star.py: error: ')
    assert str(src) in line and expected in line, line
    assert not dst.exists()


def test_tool_error_from_the_command_line(run_tool, tmp_path):
    missing = tmp_path / 'nope.pth'
    result = run_tool(TOOL, missing, tmp_path / 'dst.pth')
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f'shufflenetv2_to_v2star.py: error: checkpoint not found: {missing}'
    ]


# ---------------------------------------------------------------------------------
# configs: V2* detection / segmentation and the ImageNet fine-tune start from V2


def sync_bn_to_bn(node):
    if isinstance(node, dict):
        if node.get('type') == 'SyncBN':
            node['type'] = 'BN'
        for value in node.values():
            sync_bn_to_bn(value)


@pytest.mark.parametrize('config,scope,registry', [
    ('det/lighthead_shufflenetv2star_0.5x.py', 'mmdet', 'mmdet.registry'),
    ('seg/fcn_shufflenetv2star_os16_cocostuff164k.py', 'mmseg', 'mmseg.registry'),
])
def test_star_configs_start_from_v2(randomise_bn, tmp_path, config, scope,
                                    registry):
    cfg = Config.fromfile(ROOT / 'configs' / config)
    sync_bn_to_bn(cfg.model)
    init = cfg.model.backbone.init_cfg
    width = cfg.model.backbone.get('widen_factor', 1.0)
    assert init.type == 'PretrainedV2' and init.prefix == 'backbone.'
    assert init.checkpoint == 'checkpoints/shufflenetv2_x{}.pth'.format(
        str(width).replace('.', '_'))

    v2_cfg = {k: v for k, v in cfg.model.backbone.items()
              if k not in ('type', 'init_cfg')}
    v2_cfg['out_indices'] = ALL
    v2 = randomise_bn(ShuffleNetV2(**v2_cfg), batch_shape=BATCH)
    init.checkpoint = str(tmp_path / 'v2.pth')
    torch.save({'state_dict': {f'backbone.{k}': v
                               for k, v in v2.state_dict().items()}},
               init.checkpoint)
    models = __import__(registry, fromlist=['MODELS']).MODELS
    with DefaultScope.overwrite_default_scope(scope):
        model = models.build(cfg.model)
        model.init_weights()
    x = torch.rand(*BATCH)
    with torch.no_grad():
        ours = model.backbone.eval()(x)
        reference = [v2(x)[ALL.index(i)] for i in cfg.model.backbone.out_indices]
    assert worst_relative_difference(reference, ours) <= TOLERANCE


def finetune_classifier(v2_path, **backbone):
    """The fine-tune config's classifier and optimizer, from the V2 file at
    ``v2_path``."""
    cfg = Config.fromfile(FINETUNE)
    cfg.model.backbone.init_cfg.checkpoint = v2_path
    cfg.model.head.init_cfg.checkpoint = v2_path
    cfg.model.backbone.update(backbone)
    cfg.model.setdefault('data_preprocessor', cfg.data_preprocessor)
    if backbone.get('init_cfg', '') is None:  # a random start
        cfg.model.head.pop('init_cfg')
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = PRETRAIN_MODELS.build(cfg.model)
        model.init_weights()
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    return model, optim_wrapper


def train_losses(model, optim_wrapper, data, steps=3):
    model.train()
    return [model.train_step(data, optim_wrapper)['loss'].item()
            for _ in range(steps)]


def test_finetune_starts_at_v2s_loss(v2_classifier):
    v2, v2_path = v2_classifier
    data = batch()
    star, star_optim = finetune_classifier(v2_path)
    # the fine-tune classifier is V2's: same logits before training
    assert worst_relative_difference([logits(v2, data)],
                                     [logits(star, data)]) <= TOLERANCE
    random_star, random_optim = finetune_classifier(v2_path, init_cfg=None)
    with torch.no_grad():
        v2_loss = v2.loss(**v2.data_preprocessor(data))['loss'].item()

    extra = star.backbone.layers[0][1].branch2[0].conv.weight
    before = extra.detach().clone()
    losses = train_losses(star, star_optim, data)
    random_losses = train_losses(random_star, random_optim, data)
    print(f'\nloss at the start: V2 {v2_loss:.6f}, V2* from V2 {losses[0]:.6f}, '
          f'random V2* {random_losses[0]:.6f}; V2* from V2 over 3 steps: '
          f'{[round(v, 4) for v in losses]}')
    assert losses[0] == pytest.approx(v2_loss, abs=1e-5)
    assert abs(random_losses[0] - v2_loss) > 0.1
    assert losses[1] < losses[0]  # it trains (on 2 images, later steps overshoot)
    assert not torch.equal(extra, before)  # the extra convs move off the identity


# ---------------------------------------------------------------------------------
# tools/train.py checks the V2 file before building anything


def test_train_checks_the_pretrained_v2_file(tmp_path):
    cfg = Config.fromfile(ROOT / 'configs' / 'det' / 'lighthead_shufflenetv2star.py')
    missing = str(tmp_path / 'shufflenetv2_x1_0.pth')
    cfg.model.backbone.init_cfg.checkpoint = missing
    with pytest.raises(CLIError) as err:
        train_tool.check_pretrained(cfg)
    assert 'model.backbone.init_cfg' in str(err.value) and missing in str(err.value)
    torch.save({}, missing)
    train_tool.check_pretrained(cfg)
