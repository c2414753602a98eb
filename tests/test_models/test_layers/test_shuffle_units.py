"""The units of models/layers/shuffle_units.py on their own: ShuffleV1Unit and
ShuffleV2Unit output shapes at stride 1 and 2 (odd sizes too), when a unit adds or
concatenates its shortcut and when a V2 unit splits its input, where the V2* extra
depthwise conv sits (its channels, stride and dilation), and the arguments
ShuffleV2Unit refuses, named. Units inside the backbones: tests/test_models/
test_backbones/."""
import math

import pytest
import torch
import torch.nn as nn

from shufflenet_backbones.models.layers import ShuffleV1Unit, ShuffleV2Unit


def depthwise(module):
    return module.conv.groups == module.conv.in_channels > 1


@pytest.mark.parametrize('in_channels,out_channels,groups,stride,concat', [
    (240, 240, 3, 1, False),  # a basic unit: adds its input back
    (240, 480, 3, 2, True),  # downsampling: pooled shortcut + main branch
    (24, 240, 3, 2, True),  # stage 2's first unit
    (144, 288, 2, 1, True),  # widening at stride 1 (a dilated stage's first)
    (192, 192, 8, 1, False),
])
@pytest.mark.parametrize('size', [16, 15])
def test_v1_unit_shapes(in_channels, out_channels, groups, stride, concat, size):
    unit = ShuffleV1Unit(in_channels, out_channels, groups, stride=stride,
                         group_first_conv=in_channels != 24)
    assert unit.concat is concat and hasattr(unit, 'avgpool') is concat
    # the main branch makes what the shortcut does not
    branch = unit.g_conv_1x1_expand.conv.out_channels
    assert branch == (out_channels - in_channels if concat else out_channels)
    assert unit.g_conv_1x1_compress.conv.out_channels == out_channels // 4
    out = unit(torch.rand(2, in_channels, size, size))
    side = math.ceil(size / stride)
    assert out.shape == (2, out_channels, side, side)


@pytest.mark.parametrize('group_first_conv,first_groups', [(True, 3), (False, 1)])
def test_v1_unit_groups(group_first_conv, first_groups):
    unit = ShuffleV1Unit(24, 240, groups=3, stride=2,
                         group_first_conv=group_first_conv)
    assert unit.g_conv_1x1_compress.conv.groups == first_groups
    assert unit.g_conv_1x1_expand.conv.groups == 3
    assert depthwise(unit.depthwise_conv3x3_bn)


def silence_main_branch(unit):
    """Make the last BN of the main branch output zeros (weight and bias 0)."""
    with torch.no_grad():
        unit.g_conv_1x1_expand.bn.weight.zero_()
        unit.g_conv_1x1_expand.bn.bias.zero_()
    return unit.eval()


def test_v1_basic_unit_adds_its_input():
    unit = silence_main_branch(ShuffleV1Unit(48, 48, groups=2))
    x = torch.randn(2, 48, 8, 8)
    with torch.no_grad():
        assert torch.equal(unit(x), torch.relu(x))


@pytest.mark.parametrize('stride', [1, 2])
def test_v1_concat_unit_puts_the_pooled_input_first(stride):
    unit = silence_main_branch(ShuffleV1Unit(48, 96, groups=2, stride=stride))
    x = torch.randn(2, 48, 9, 9)
    with torch.no_grad():
        out = unit(x)
    pooled = nn.AvgPool2d(3, stride=stride, padding=1)(x)
    assert torch.equal(out[:, :48], pooled)  # no activation on the shortcut
    assert not out[:, 48:].any()


@pytest.mark.parametrize('in_channels,out_channels,stride,dilation,split', [
    (48, 48, 1, 1, True),  # a basic unit
    (24, 48, 2, 1, False),  # downsampling
    (48, 96, 1, 2, False),  # widening first unit of a dilated stage
    (96, 96, 1, 2, True),
])
@pytest.mark.parametrize('extra_depthwise', [False, True], ids=['v2', 'v2star'])
@pytest.mark.parametrize('size', [16, 15])
def test_v2_unit_shapes(in_channels, out_channels, stride, dilation, split,
                        extra_depthwise, size):
    unit = ShuffleV2Unit(in_channels, out_channels, stride=stride,
                         dilation=dilation, extra_depthwise=extra_depthwise)
    assert unit.split is split and hasattr(unit, 'branch1') is not split
    out = unit(torch.rand(2, in_channels, size, size))
    side = math.ceil(size / stride)
    assert out.shape == (2, out_channels, side, side)


@pytest.mark.parametrize('extra_depthwise', [False, True], ids=['v2', 'v2star'])
def test_v2_basic_unit_passes_the_first_half_through(extra_depthwise):
    """The first half goes to the even channels unchanged (concat + shuffle),
    the second half only feeds branch2, which makes the odd channels."""
    unit = ShuffleV2Unit(32, 32, extra_depthwise=extra_depthwise).eval()
    x = torch.randn(2, 32, 6, 6)
    other = x.clone()
    other[:, :16] = torch.randn(2, 16, 6, 6)  # another first half
    with torch.no_grad():
        out, out_other = unit(x), unit(other)
    assert torch.equal(out[:, 0::2], x[:, :16])
    assert torch.equal(out_other[:, 1::2], out[:, 1::2])


def test_v2_downsampling_unit_feeds_both_branches_the_whole_input():
    unit = ShuffleV2Unit(24, 48, stride=2).eval()
    x = torch.randn(2, 24, 8, 8)
    with torch.no_grad():
        out = unit(x)
        assert torch.equal(out[:, 0::2], unit.branch1(x))
        assert torch.equal(out[:, 1::2], unit.branch2(x))


@pytest.mark.parametrize('dw_kernel_size', [3, 5])
@pytest.mark.parametrize('dilation', [1, 2])
def test_v2star_extra_conv_of_a_basic_unit_starts_branch2(dilation, dw_kernel_size):
    v2 = ShuffleV2Unit(48, 48, dilation=dilation, dw_kernel_size=dw_kernel_size)
    star = ShuffleV2Unit(48, 48, dilation=dilation, dw_kernel_size=dw_kernel_size,
                         extra_depthwise=True)
    assert len(v2.branch2) == 3 and len(star.branch2) == 4
    extra = star.branch2[0].conv
    assert depthwise(star.branch2[0]) and extra.in_channels == 24
    assert extra.stride == (1, 1) and extra.dilation == (dilation, dilation)
    assert extra.kernel_size == (dw_kernel_size, dw_kernel_size)
    assert not star.branch2[0].with_activation
    # the rest of branch2 is V2's
    assert [m.conv.kernel_size for m in star.branch2[1:]] == [
        m.conv.kernel_size for m in v2.branch2]


@pytest.mark.parametrize('stride,dilation', [(2, 1), (1, 2)])
def test_v2star_extra_conv_of_a_downsampling_unit(stride, dilation):
    """After branch1's strided depthwise conv (on the downsampled map), before
    its 1x1 conv; branch2 keeps V2's layout."""
    v2 = ShuffleV2Unit(24, 48, stride=stride, dilation=dilation)
    star = ShuffleV2Unit(24, 48, stride=stride, dilation=dilation,
                         extra_depthwise=True)
    assert len(v2.branch1) == 2 and len(star.branch1) == 3
    strided, extra, pointwise = (m.conv for m in star.branch1)
    assert depthwise(star.branch1[0]) and strided.stride == (stride, stride)
    assert depthwise(star.branch1[1]) and extra.in_channels == 24
    assert extra.stride == (1, 1) and extra.dilation == (dilation, dilation)
    assert pointwise.kernel_size == (1, 1)
    assert list(star.branch2.state_dict()) == list(v2.branch2.state_dict())


@pytest.mark.parametrize('kwargs,message', [
    (dict(out_channels=25), 'ShuffleV2Unit: out_channels must be even, got 25'),
    (dict(dw_kernel_size=4), 'ShuffleV2Unit: dw_kernel_size must be an odd '
                             'integer ("same" padding: 3, 5, ...), got 4'),
    (dict(dw_kernel_size=3.0), 'ShuffleV2Unit: dw_kernel_size must be an odd '
                               'integer ("same" padding: 3, 5, ...), got 3.0'),
], ids=['odd_out_channels', 'even_kernel', 'float_kernel'])
def test_v2_unit_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError) as err:
        ShuffleV2Unit(**dict(dict(in_channels=24, out_channels=48), **kwargs))
    assert str(err.value) == message
