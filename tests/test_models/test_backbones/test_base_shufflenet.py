"""BaseShuffleNet's contract (docs: models/backbones/base_shufflenet.py), checked on
every registered ShuffleNet backbone: a new backbone joins by registering."""
import math

import pytest
import torch
from torch.nn.modules.batchnorm import _BatchNorm

from shufflenet_backbones.models.backbones import BaseShuffleNet
from shufflenet_backbones.registry import MODELS

BACKBONES = sorted(name for name, cls in MODELS.module_dict.items()
                   if issubclass(cls, BaseShuffleNet))
# What the tests below run: every registered backbone at its defaults, but SNet once
# per arch (SNet49 ends with a conv5, SNet146 / 535 do not). Name -> (type, kwargs).
VARIANTS = {
    **{name: (name, {}) for name in BACKBONES if name != 'SNet'},
    **{f'SNet{arch}': ('SNet', dict(arch=arch)) for arch in (49, 146, 535)},
}
NAMES = sorted(VARIANTS)


def build(name, **kwargs):
    model_type, fixed = VARIANTS[name]
    return MODELS.build(dict(type=model_type, **{**fixed, **kwargs}))


def every_index(name):
    return tuple(f.index for f in build(name).all_features)


def test_all_families_registered():
    assert BACKBONES == ['SNet', 'ShuffleNetV1', 'ShuffleNetV2', 'ShuffleNetV2Star']
    assert set(MODELS.get('SNet').arch_settings) == {49, 146, 535}


@pytest.mark.parametrize('name', NAMES)
@pytest.mark.parametrize('size', [(224, 224), (97, 130)])
def test_outputs_match_feature_info(name, size):
    indices = every_index(name)
    model = build(name, out_indices=indices).eval()
    outs = model(torch.rand(1, 3, *size))
    assert len(outs) == len(model.feature_info) == len(indices)
    for out, info in zip(outs, model.feature_info):
        expected = (1, info.channels, math.ceil(size[0] / info.stride),
                    math.ceil(size[1] / info.stride))
        assert tuple(out.shape) == expected, info
    assert model.out_channels == tuple(o.shape[1] for o in outs)
    assert [f.stride for f in model.feature_info][:4] == [4, 8, 16, 32]
    assert model.feature_info[0].name == 'stem'


@pytest.mark.parametrize('name', NAMES)
def test_out_indices_select_and_order(name):
    model = build(name, out_indices=(1, -1)).eval()
    outs = model(torch.rand(1, 3, 64, 64))
    assert [f.name for f in model.feature_info] == ['stem', 'stage3']
    assert [o.shape[1] for o in outs] == list(model.out_channels)
    assert model.out_strides == (4, 16)


@pytest.mark.parametrize('name', NAMES)
@pytest.mark.parametrize('strides,dilations,output_stride', [
    ((2, 2, 1), (1, 1, 2), 16),
    ((2, 1, 1), (1, 2, 4), 8),
])
def test_dilation_keeps_resolution(name, strides, dilations, output_stride):
    model = build(name, out_indices=every_index(name)[1:], strides=strides,
                  dilations=dilations).eval()
    assert model.out_strides[-1] == output_stride
    for size in (224, 225):
        outs = model(torch.rand(1, 3, size, size))
        for out, stride in zip(outs, model.out_strides):
            assert out.shape[-1] == math.ceil(size / stride)
    # dilated depthwise convs (3x3, SNet's 5x5) really are dilated
    last_stage = model.layers[2]
    dilations_seen = {m.dilation[0] for m in last_stage.modules()
                      if isinstance(m, torch.nn.Conv2d) and m.kernel_size != (1, 1)}
    assert dilations_seen == {dilations[2]}


@pytest.mark.parametrize('name', NAMES)
def test_with_cp_matches_plain_forward_backward(name):
    plain = build(name, out_indices=every_index(name))
    plain.init_weights()
    ckpt = build(name, out_indices=every_index(name), with_cp=True)
    ckpt.load_state_dict(plain.state_dict())
    plain.train(), ckpt.train()
    x = torch.rand(2, 3, 64, 64)
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    outs1, outs2 = plain(x1), ckpt(x2)
    sum(o.square().mean() for o in outs1).backward()
    sum(o.square().mean() for o in outs2).backward()
    for o1, o2 in zip(outs1, outs2):
        torch.testing.assert_close(o1, o2, rtol=0, atol=0)
    torch.testing.assert_close(x1.grad, x2.grad, rtol=1e-6, atol=1e-7)
    grads2 = dict(ckpt.named_parameters())
    for key, p1 in plain.named_parameters():
        torch.testing.assert_close(p1.grad, grads2[key].grad, rtol=1e-5, atol=1e-7)
    # recomputation must not update BN running statistics a second time
    for key, b1 in plain.state_dict().items():
        torch.testing.assert_close(b1, ckpt.state_dict()[key], rtol=0, atol=0)


@pytest.mark.parametrize('name', NAMES)
def test_frozen_stages_fix_parameters_and_statistics(name):
    model = build(name, frozen_stages=2)
    model.init_weights()
    model.train()
    frozen = [model.conv1, model.layers[0], model.layers[1]]
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model(torch.rand(2, 3, 64, 64))
    for module in frozen:
        assert not module.training
        assert all(not p.requires_grad for p in module.parameters())
    assert all(p.requires_grad for p in model.layers[2].parameters())
    assert model.layers[2].training
    after = model.state_dict()
    for key in before:
        if key.startswith(('conv1.', 'layers.0.', 'layers.1.')):
            assert torch.equal(before[key], after[key]), key
    # the trainable stage did update its statistics
    key = next(k for k in before
               if k.startswith('layers.2.') and k.endswith('running_mean'))
    assert not torch.equal(before[key], after[key])


@pytest.mark.parametrize('name', NAMES)
def test_frozen_stem_keeps_bn_statistics(name):
    model = build(name, frozen_stages=0)
    model.init_weights()
    model.train()
    mean = model.conv1.bn.running_mean.clone()
    model(torch.rand(2, 3, 32, 32))
    assert torch.equal(model.conv1.bn.running_mean, mean)


@pytest.mark.parametrize('name', NAMES)
@pytest.mark.parametrize('norm', ['BN', 'SyncBN'])
def test_norm_eval(name, norm):
    model = build(name, norm_cfg=dict(type=norm), norm_eval=True)
    model.train()
    norms = [m for m in model.modules() if isinstance(m, _BatchNorm)]
    assert norms and not any(m.training for m in norms)
    assert model.training
    model = build(name, norm_cfg=dict(type=norm), norm_eval=False).train()
    assert all(m.training for m in model.modules() if isinstance(m, _BatchNorm))


@pytest.mark.parametrize('name', NAMES)
@pytest.mark.parametrize('as_list', [False, True])
def test_pretrained_init_is_not_overwritten(name, as_list, tmp_path):
    source = build(name, out_indices=every_index(name))
    for p in source.parameters():
        torch.nn.init.uniform_(p, 2.0, 3.0)  # far from any default init
    path = tmp_path / 'pretrained.pth'
    torch.save({'state_dict': {f'backbone.{k}': v
                               for k, v in source.state_dict().items()}}, path)
    pretrained = dict(type='Pretrained', checkpoint=str(path), prefix='backbone.')
    init_cfg = [dict(type='Kaiming', layer='Conv2d'), pretrained] if as_list \
        else pretrained
    model = build(name, out_indices=every_index(name), init_cfg=init_cfg)
    model.init_weights()
    for key, value in source.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key


@pytest.mark.parametrize('name', NAMES)
def test_default_init_is_the_papers(name):
    model = build(name)
    model.init_weights()
    assert model.conv1.conv.weight.std().item() == pytest.approx(0.01, rel=0.2)
    bn = model.conv1.bn
    assert torch.all(bn.weight == 1) and torch.allclose(bn.bias, torch.full_like(
        bn.bias, 1e-4))


@pytest.mark.parametrize('name', NAMES)
@pytest.mark.parametrize('kwargs,argument', [
    (dict(out_indices=(5, )), 'out_indices'),
    (dict(out_indices=(-2, )), 'out_indices'),
    (dict(out_indices=()), 'out_indices'),
    (dict(out_indices=(1, 1)), 'out_indices'),
    (dict(frozen_stages=9), 'frozen_stages'),
    (dict(frozen_stages=-2), 'frozen_stages'),
    (dict(dilations=(1, 2, 1)), r'dilations\[1\]=2 needs strides\[1\]=1'),
    (dict(strides=(2, 3, 2)), 'strides'),
    (dict(strides=(2, 2)), 'strides'),
    (dict(dilations=(1, 0, 1)), 'dilations'),
    ('width', r'must be one of \('),  # the argument that sets the widths
])
def test_bad_arguments_name_the_argument(name, kwargs, argument):
    if kwargs == 'width':
        width = 'arch' if VARIANTS[name][0] == 'SNet' else 'widen_factor'
        kwargs, argument = {width: 0.75}, f'{width} {argument}'
    with pytest.raises(ValueError, match=argument):
        build(name, **kwargs)


@pytest.mark.parametrize('name', NAMES)
def test_no_layer_beyond_the_deepest_output(name):
    model = build(name, out_indices=(-1, 0))
    assert len(model.layers) == 1
    sum(o.sum() for o in model(torch.rand(1, 3, 64, 64))).backward()
    # every parameter takes part: DDP needs no find_unused_parameters
    assert all(p.grad is not None for p in model.parameters())
    assert len(build(name, out_indices=(-1, )).layers) == 0


@pytest.mark.parametrize('name', NAMES)
def test_switch_to_deploy_folds_bn(randomise_bn, name):
    model = randomise_bn(build(name, out_indices=every_index(name))).eval()
    x = torch.rand(2, 3, 96, 80)
    with torch.no_grad():
        expected = model(x)
        model.switch_to_deploy()
        outs = model(x)
    assert model.deploy and not model.training
    assert not any(isinstance(m, _BatchNorm) for m in model.modules())
    assert not any(k.endswith(('running_mean', 'running_var'))
                   for k in model.state_dict())
    for out, exp in zip(outs, expected):
        # float32 rounding only: a small fraction of the map's magnitude
        torch.testing.assert_close(out, exp, rtol=0,
                                   atol=1e-5 * exp.abs().max().item())
    model.switch_to_deploy()  # a second call changes nothing
    with pytest.raises(RuntimeError, match='deploy mode'):
        model.train()
    model.eval()  # still allowed


@pytest.mark.parametrize('name', NAMES)
def test_channels_last_gives_the_same_outputs(randomise_bn, name):
    """Channels-last by the user (weights and input): outputs stay channels-last."""
    model = randomise_bn(build(name, out_indices=every_index(name))).eval()
    x = torch.rand(2, 3, 64, 96)
    with torch.no_grad():
        expected = model(x)
        model.to(memory_format=torch.channels_last)
        outs = model(x.contiguous(memory_format=torch.channels_last))
    for out, exp in zip(outs, expected):
        torch.testing.assert_close(out, exp, rtol=1e-5,
                                   atol=1e-5 * exp.abs().max().item())
        assert out.is_contiguous(memory_format=torch.channels_last)


@pytest.mark.parametrize('name', NAMES)
def test_channels_last_option(randomise_bn, name):
    """``channels_last=True``: the same function (forward and backward), NCHW in
    and out."""
    indices = every_index(name)
    plain = randomise_bn(build(name, out_indices=indices))
    fast = build(name, out_indices=indices, channels_last=True)
    fast.load_state_dict(plain.state_dict())
    x = torch.rand(2, 3, 64, 96)

    def forward_backward(model):
        outs = model.eval()(x)
        sum(out.sum() for out in outs).backward()
        return outs

    expected = forward_backward(plain)
    for out, exp in zip(forward_backward(fast), expected):
        assert out.is_contiguous()
        torch.testing.assert_close(out, exp, rtol=1e-5,
                                   atol=1e-5 * exp.abs().max().item())
    grads = dict(plain.named_parameters())
    for key, param in fast.named_parameters():
        torch.testing.assert_close(param.grad, grads[key].grad, rtol=1e-4,
                                   atol=1e-4 * grads[key].grad.abs().max().item())


def layouts_seen(model, x):
    """For every conv and pooling layer, whether its input was laid out
    channels-last: channels innermost (a channel slice of a channels-last map is
    not contiguous, but still channels-last to the kernel)."""
    seen = []

    def record(module, inputs):
        seen.append(inputs[0].stride(1) < inputs[0].stride(3))

    hooks = [m.register_forward_pre_hook(record) for m in model.modules()
             if isinstance(m, (torch.nn.Conv2d, torch.nn.MaxPool2d))]
    outs = model(x)
    for hook in hooks:
        hook.remove()
    return seen, outs


@pytest.mark.parametrize('name', NAMES)
@pytest.mark.parametrize('setting,on_cpu', [(True, True), (False, False),
                                            ('auto', True)])
def test_channels_last_setting_decides_the_layout(name, setting, on_cpu):
    """The option alone decides the layers' layout: False is NCHW throughout
    (max-pool included), True and 'auto' (on CPU) channels-last; the outputs
    are NCHW for an NCHW input either way."""
    model = build(name, out_indices=every_index(name), channels_last=setting).eval()
    seen, outs = layouts_seen(model, torch.rand(1, 3, 64, 64))
    assert len(seen) > 10 and set(seen) == {on_cpu}
    assert all(out.is_contiguous() for out in outs)
    # elsewhere (CUDA; 'meta' stands in for it here) 'auto' keeps NCHW
    off_cpu = torch.empty(1, 3, 64, 64, device='meta')
    assert model.runs_channels_last(off_cpu) is (setting is True)


@pytest.mark.parametrize('name', NAMES)
@pytest.mark.parametrize('value', [None, 'yes', 1])
def test_channels_last_rejects_other_values(name, value):
    with pytest.raises(ValueError, match="channels_last must be True, False or 'auto'"):
        build(name, channels_last=value)


@pytest.mark.parametrize('name', NAMES)
def test_switch_to_deploy_refuses_group_norm(name):
    model = build(name, norm_cfg=dict(type='GN', num_groups=1)).eval()
    with pytest.raises(ValueError, match='only BN can be folded'):
        model.switch_to_deploy()
    assert not model.deploy
