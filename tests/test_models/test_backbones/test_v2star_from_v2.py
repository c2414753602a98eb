"""V2* started from V2 (models/backbones/v2star_from_v2.py): the identity extra
convs, V2's features at every width and output, the ``PretrainedV2`` init type
(loaded last, strict, its errors) and gradients through the extra convs. The
converter tool, configs and a short training run: tests/test_weights/
test_v2_to_v2star.py."""
import pytest
import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmdet.registry import MODELS as DET_MODELS
from mmengine.registry import WEIGHT_INITIALIZERS

import shufflenet_backbones  # noqa: F401  (registers PretrainedV2)
from shufflenet_backbones.models import (ShuffleNetV1, ShuffleNetV2,
                                         ShuffleNetV2Star)
from shufflenet_backbones.models.backbones import (PretrainedV2Init,
                                                   V2CheckpointError,
                                                   v2star_state_dict_from_v2)
from shufflenet_backbones.models.backbones.v2star_from_v2 import (
    _extra_conv_index, identity_state)
from shufflenet_backbones.models.layers import ShuffleV2Unit

ALL = (-1, 0, 1, 2, 3)  # stem, stages 2-4, conv5
BATCH = (2, 3, 64, 64)
TOLERANCE = 1e-6  # of each map's peak


def extra_convs(model):
    """The V2* extra depthwise ConvModules of ``model``, in order."""
    convs = []
    for module in model.modules():
        where = _extra_conv_index(module) if isinstance(module,
                                                        ShuffleV2Unit) else None
        if where is not None:
            convs.append(getattr(module, where[0])[where[1]])
    return convs


def v2_and_star(randomise_bn, widen_factor=1.0, star_kwargs=None, **kwargs):
    """A V2 with trained-looking BN and a V2* given its weights by the converter
    (built with ``star_kwargs`` where given, else as the V2)."""
    v2 = randomise_bn(ShuffleNetV2(widen_factor, **kwargs), batch_shape=BATCH)
    star = ShuffleNetV2Star(widen_factor, **(star_kwargs or kwargs))
    state_dict, unused = v2star_state_dict_from_v2(v2.state_dict(), star)
    star.load_state_dict(state_dict, strict=True)
    return v2, star.eval(), unused


def worst_relative_difference(a_outputs, b_outputs):
    assert len(a_outputs) == len(b_outputs)
    return max(((a - b).abs().max() / a.abs().max()).item()
               for a, b in zip(a_outputs, b_outputs))


@pytest.mark.parametrize('eps', [1e-5, 1e-3])
@pytest.mark.parametrize('dilation', [1, 2])
def test_identity_state_passes_input_through(eps, dilation):
    conv = ConvModule(16, 16, 3, padding=dilation, dilation=dilation, groups=16,
                      norm_cfg=dict(type='BN', eps=eps), act_cfg=None)
    conv.load_state_dict(identity_state(conv))
    x = torch.randn(2, 16, 9, 9) * 10
    with torch.no_grad():
        # exactly: running_var = 1 - eps makes the BN divide by sqrt(1) = 1
        assert torch.equal(conv.eval()(x), x)


@pytest.mark.parametrize('widen_factor', [0.5, 1.0, 1.5, 2.0])
def test_v2star_from_v2_gives_v2_features(randomise_bn, widen_factor):
    v2, star, unused = v2_and_star(randomise_bn, widen_factor, out_indices=ALL)
    assert unused == []
    x = torch.rand(*BATCH)
    with torch.no_grad():
        ours, reference = star(x), v2(x)
    assert len(ours) == len(ALL)
    assert worst_relative_difference(reference, ours) <= TOLERANCE


@pytest.mark.parametrize('kwargs', [
    # output stride 8 (dilated stages 3-4), another BN eps
    dict(strides=(2, 1, 1), dilations=(1, 2, 4), out_indices=ALL,
         norm_cfg=dict(type='BN', eps=1e-3)),
])
def test_v2star_from_v2_other_settings(randomise_bn, kwargs):
    v2, star, unused = v2_and_star(randomise_bn, 0.5, **kwargs)
    assert unused == []
    x = torch.rand(*BATCH)
    with torch.no_grad():
        assert worst_relative_difference(v2(x), star(x)) <= TOLERANCE


def test_weights_of_layers_not_kept_are_returned_unused(randomise_bn):
    v2, star, unused = v2_and_star(randomise_bn, 0.5, out_indices=ALL,
                                   star_kwargs=dict(out_indices=(0, )))
    assert unused and all(k.startswith(('layers.1.', 'layers.2.', 'layers.3.'))
                          for k in unused)
    x = torch.rand(*BATCH)
    with torch.no_grad():
        assert worst_relative_difference(v2(x)[1:2], star(x)) <= TOLERANCE


def save_v2(model, path, prefix='backbone.'):
    torch.save({'state_dict': {prefix + k: v
                               for k, v in model.state_dict().items()}}, path)
    return str(path)


@pytest.mark.parametrize('as_list', [False, True])
def test_pretrained_v2_init_cfg_loads_last(randomise_bn, as_list, tmp_path):
    v2 = randomise_bn(ShuffleNetV2(0.5, out_indices=(1, 3)), batch_shape=BATCH)
    init = dict(type='PretrainedV2', checkpoint=save_v2(v2, tmp_path / 'v2.pth'),
                prefix='backbone.')
    # a Kaiming entry first must not overwrite the V2 weights, nor conv1's own
    # ConvModule init that mmengine runs after the init_cfg entries
    init_cfg = [dict(type='Kaiming', layer='Conv2d'), init] if as_list else init
    star = DET_MODELS.build(dict(type='ShuffleNetV2Star', widen_factor=0.5,
                                 out_indices=(1, 3), init_cfg=init_cfg))
    star.init_weights()
    star.eval()
    x = torch.rand(*BATCH)
    with torch.no_grad():
        assert worst_relative_difference(v2(x), star(x)) <= TOLERANCE
    assert star.init_cfg == init_cfg  # as given (for the log and repr)


def test_pretrained_v2_is_registered():
    assert WEIGHT_INITIALIZERS.get('PretrainedV2') is PretrainedV2Init


def test_extra_convs_receive_gradients(randomise_bn):
    _, star, _ = v2_and_star(randomise_bn, 0.5, out_indices=(1, 3), norm_eval=True)
    star.train()  # BN stays in eval mode (norm_eval), as the detectors train
    extras = extra_convs(star)
    assert len(extras) == 16  # one per unit
    sum(out.square().mean() for out in star(torch.rand(*BATCH))).backward()
    for i, extra in enumerate(extras):
        for name, param in [('conv', extra.conv.weight), ('bn.weight', extra.bn.weight),
                            ('bn.bias', extra.bn.bias)]:
            assert param.grad is not None and param.grad.abs().sum() > 0, (i, name)


def error_message(tmp_path, checkpoint, model, prefix='backbone.'):
    with pytest.raises((V2CheckpointError, FileNotFoundError, ValueError)) as err:
        PretrainedV2Init(checkpoint, prefix=prefix)(model)
    return str(err.value)


def test_missing_file_is_named(tmp_path):
    missing = str(tmp_path / 'nope.pth')
    msg = error_message(tmp_path, missing, ShuffleNetV2Star(0.5))
    assert msg == f'PretrainedV2: checkpoint not found: {missing}'


def test_other_width_is_named(tmp_path):
    path = save_v2(ShuffleNetV2(1.0), tmp_path / 'v2_x1_0.pth')
    msg = error_message(tmp_path, path, ShuffleNetV2Star(0.5))
    assert msg.startswith(f'{path} is a ShuffleNetV2 of width 1.0x (stage 2: 116 '
                          'channels), the model is 0.5x (stage 2: 48 channels)')
    assert '\n' not in msg


@pytest.mark.parametrize('source,expected', [
    (lambda: ShuffleNetV1(), 'holds no ShuffleNetV2 backbone'),
    (lambda: ShuffleNetV2Star(0.5), 'is already a ShuffleNetV2Star checkpoint'),
    (lambda: nn.Linear(2, 2), 'holds no ShuffleNetV2 backbone'),
])
def test_not_v2_is_named(tmp_path, source, expected):
    path = save_v2(source(), tmp_path / 'other.pth')
    msg = error_message(tmp_path, path, ShuffleNetV2Star(0.5))
    assert msg.startswith(path) and expected in msg and '\n' not in msg


def test_missing_weights_are_an_error(tmp_path):
    state_dict = ShuffleNetV2(0.5).state_dict()
    del state_dict['layers.1.2.branch2.1.conv.weight']
    path = str(tmp_path / 'partial.pth')
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in state_dict.items()}},
               path)
    msg = error_message(tmp_path, path, ShuffleNetV2Star(0.5))
    assert msg.startswith(path) and 'layers.1.2.branch2.1.conv.weight' in msg


def test_prefix_problems_are_named(tmp_path):
    path = save_v2(ShuffleNetV2(0.5), tmp_path / 'v2.pth')
    msg = error_message(tmp_path, path, ShuffleNetV2Star(0.5), prefix='model.')
    assert msg.startswith(f'{path} has no "model.*" weights')
    msg = error_message(tmp_path, path, ShuffleNetV2Star(0.5), prefix=None)
    assert "set prefix='backbone.'" in msg


def test_torchvision_file_asks_for_conversion(tmp_path):
    path = str(tmp_path / 'tv.pth')
    torch.save({'conv1.0.weight': torch.zeros(24, 3, 3, 3),
                'stage2.0.branch1.0.weight': torch.zeros(24, 1, 3, 3)}, path)
    msg = error_message(tmp_path, path, ShuffleNetV2Star(0.5), prefix=None)
    assert 'torchvision2shufflenet.py' in msg and path in msg


def test_only_v2star_models_take_it(tmp_path):
    path = save_v2(ShuffleNetV2(0.5), tmp_path / 'v2.pth')
    msg = error_message(tmp_path, path, ShuffleNetV2(0.5))
    assert 'no V2* extra depthwise convs' in msg


def test_group_norm_has_no_identity():
    gn = dict(type='GN', num_groups=2)
    with pytest.raises(ValueError, match='affine BN with running statistics'):
        v2star_state_dict_from_v2(ShuffleNetV2(0.5, norm_cfg=gn).state_dict(),
                                  ShuffleNetV2Star(0.5, norm_cfg=gn))
