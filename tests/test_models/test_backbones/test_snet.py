"""SNet, ThunderNet's backbones: widths, 5x5 depthwise convs, conv5, complexity."""
import doctest
import importlib

import pytest
import torch
import torch.nn as nn

from shufflenet_backbones.models import ShuffleNetV2, SNet
from shufflenet_backbones.models.backbones import snet as snet_module
from shufflenet_backbones.models.layers import ShuffleV2Unit
from shufflenet_backbones.toolkit.analysis.complexity import (
    classifier_multiply_adds, classifier_params)

# arch -> stem, stages 2-4, conv5 (None: none), as the ThunderNet paper gives them
PAPER_WIDTHS = {
    49: (24, (60, 120, 240), 512),
    146: (24, (132, 264, 528), None),
    535: (48, (248, 496, 992), None),
}
# arch -> (multiply-adds, parameters) with a 1000-class FC at 224x224, counted by
# tools/analysis/get_flops.py; the paper's MFLOPs are the numbers in the names
COMPLEXITY = {
    49: (51_205_832, 875_548),
    146: (161_137_848, 1_572_748),
    535: (535_354_640, 4_535_144),
}
ARCHS = sorted(PAPER_WIDTHS)


def every_index(arch):
    return tuple(f.index for f in SNet(arch=arch).all_features)


def depthwise_convs(model):
    return [m for m in model.modules()
            if isinstance(m, nn.Conv2d) and m.groups > 1 and m.groups == m.in_channels]


@pytest.mark.parametrize('arch', ARCHS)
def test_widths_and_conv5_are_the_papers(arch):
    stem, stages, conv5 = PAPER_WIDTHS[arch]
    model = SNet(arch=arch, out_indices=every_index(arch))
    names = ['stem', 'stage2', 'stage3', 'stage4'] + (['conv5'] if conv5 else [])
    assert [f.name for f in model.feature_info] == names
    assert model.out_channels == (stem, *stages) + ((conv5, ) if conv5 else ())
    assert model.out_strides == (4, 8, 16, 32) + ((32, ) if conv5 else ())
    assert len(model.layers) == (4 if conv5 else 3)
    assert [len(stage) for stage in model.layers[:3]] == [4, 8, 4]
    # default: the last output only, as the other families
    assert SNet(arch=arch).out_channels == (conv5 or stages[-1], )


@pytest.mark.parametrize('arch', ARCHS)
def test_every_depthwise_conv_is_5x5(arch):
    model = SNet(arch=arch, out_indices=every_index(arch))
    convs = depthwise_convs(model)
    # one per unit, and one more in the shortcut branch of each downsampling unit
    assert len(convs) == 4 + 8 + 4 + 3
    assert {(m.kernel_size, m.padding) for m in convs} == {((5, 5), (2, 2))}
    # the only other convs: the 3x3 stem and 1x1 convs
    others = [m.kernel_size for m in model.modules()
              if isinstance(m, nn.Conv2d) and m not in convs]
    assert others.count((3, 3)) == 1 and set(others) == {(3, 3), (1, 1)}


def test_dilated_5x5_depthwise_convs_keep_the_size():
    model = SNet(arch=49, out_indices=(1, 2, 3), strides=(2, 2, 1),
                 dilations=(1, 1, 2)).eval()
    paddings = {m.padding for m in depthwise_convs(model.layers[2])}
    assert paddings == {(4, 4)}  # dilation * (5 // 2)
    outs = model(torch.rand(1, 3, 97, 131))
    assert [tuple(o.shape[2:]) for o in outs] == [(7, 9)] * 3


@pytest.mark.parametrize('arch', ARCHS)
def test_complexity_against_the_name(arch):
    madds, params = COMPLEXITY[arch]
    model = SNet(arch=arch)
    assert classifier_multiply_adds(model) == madds
    assert classifier_params(model) == params
    # SNet535 is its name; SNet49 4.5% and SNet146 10% above it (see the docstring)
    ratio = madds / 1e6 / arch
    assert ratio == pytest.approx({49: 1.045, 146: 1.104, 535: 1.001}[arch], abs=1e-3)


@pytest.mark.parametrize('arch,c4,c5,last', [(49, 120, 512, 3), (146, 264, 528, 2),
                                             (535, 496, 992, 2)])
def test_thundernet_c4_and_c5(arch, c4, c5, last):
    model = SNet(arch=arch, out_indices=(1, last)).eval()
    outs = model(torch.rand(1, 3, 320, 320))
    assert [tuple(o.shape) for o in outs] == [(1, c4, 20, 20), (1, c5, 10, 10)]
    assert model.out_strides == (16, 32)


@pytest.mark.parametrize('arch', [146, 535])
@pytest.mark.parametrize('out_indices', [(3, ), (1, 3)])
def test_conv5_index_without_conv5_says_so(arch, out_indices):
    with pytest.raises(ValueError, match=rf'out_indices .*conv5.* arch={arch}, '
                       r'which has no conv5.*index 2'):
        SNet(arch=arch, out_indices=out_indices)


@pytest.mark.parametrize('arch', [50, 0, '146', 146.5, None, True])
def test_bad_arch_names_the_argument(arch):
    with pytest.raises(ValueError, match=r'arch must be one of \(49, 146, 535\)'):
        SNet(arch=arch)


def test_state_dict_keys_are_shufflenet_v2s():
    """Only the shapes differ: one loader and converter serve both."""
    snet = SNet(arch=49, out_indices=(0, 1, 2, 3)).state_dict()
    v2 = ShuffleNetV2(out_indices=(0, 1, 2, 3)).state_dict()
    assert list(snet) == list(v2)
    assert list(SNet(arch=146).state_dict()) == list(
        ShuffleNetV2(out_indices=(2, )).state_dict())


def test_unit_dw_kernel_size():
    x = torch.rand(1, 24, 15, 15)
    default = ShuffleV2Unit(24, 48, stride=2)
    wide = ShuffleV2Unit(24, 48, stride=2, dw_kernel_size=5)
    assert list(default.state_dict()) == list(wide.state_dict())
    assert {m.kernel_size for m in depthwise_convs(default)} == {(3, 3)}
    assert {m.kernel_size for m in depthwise_convs(wide)} == {(5, 5)}
    assert wide(x).shape == default(x).shape == (1, 48, 8, 8)
    star = ShuffleV2Unit(24, 24, extra_depthwise=True, dw_kernel_size=7)
    assert {m.kernel_size for m in depthwise_convs(star)} == {(7, 7)}
    for bad in (4, 0, 3.0):
        with pytest.raises(ValueError, match='dw_kernel_size must be an odd'):
            ShuffleV2Unit(24, 48, dw_kernel_size=bad)


@pytest.mark.parametrize('scope', ['mmdet', 'mmseg'])
def test_registered_under_its_bare_name(scope):
    registry = importlib.import_module(f'{scope}.registry').MODELS
    model = registry.build(dict(type='SNet', arch=49, out_indices=(1, 3)))
    assert type(model) is SNet and model.out_channels == (120, 512)


def test_docstring_example_is_right():
    result = doctest.testmod(snet_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
