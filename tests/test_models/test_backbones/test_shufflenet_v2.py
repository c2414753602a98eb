import pytest
import torchvision

from shufflenet_backbones.models import ShuffleNetV2, ShuffleNetV2Star
from shufflenet_backbones.toolkit.analysis.complexity import (
    classifier_multiply_adds, classifier_params)

# V2 paper Table 5: widths, MFLOPs; params are torchvision's exact counts
PAPER = {
    0.5: ((48, 96, 192, 1024), 41, 1_366_792),
    1.0: ((116, 232, 464, 1024), 146, 2_278_604),
    1.5: ((176, 352, 704, 1024), 299, 3_503_624),
    2.0: ((244, 488, 976, 2048), 591, 7_393_996),
}
TORCHVISION = {0.5: 'shufflenet_v2_x0_5', 1.0: 'shufflenet_v2_x1_0',
               1.5: 'shufflenet_v2_x1_5', 2.0: 'shufflenet_v2_x2_0'}


@pytest.mark.parametrize('widen_factor', sorted(PAPER))
def test_widths_flops_and_params_match_paper_and_torchvision(widen_factor):
    widths, mflops, params = PAPER[widen_factor]
    model = ShuffleNetV2(widen_factor=widen_factor, out_indices=(0, 1, 2, 3))
    assert model.out_channels == widths
    assert classifier_multiply_adds(model) / 1e6 == pytest.approx(mflops, rel=0.03)
    reference = getattr(torchvision.models, TORCHVISION[widen_factor])()
    assert classifier_params(model) == params == sum(
        p.numel() for p in reference.parameters())


@pytest.mark.parametrize('widen_factor', sorted(PAPER))
def test_v2star_adds_few_flops(widen_factor):
    v2 = classifier_multiply_adds(ShuffleNetV2(widen_factor=widen_factor))
    star = classifier_multiply_adds(ShuffleNetV2Star(widen_factor=widen_factor))
    assert v2 < star <= 1.05 * v2


def is_depthwise_3x3(module):
    conv = module.conv
    return conv.kernel_size == (3, 3) and conv.groups == conv.in_channels \
        and module.with_activation is False


def test_v2star_unit_layout():
    model = ShuffleNetV2Star()
    down, basic = model.layers[0][0], model.layers[0][1]
    # basic unit: extra depthwise conv before the first pointwise conv of branch2
    extra, first_pointwise, depthwise, _ = basic.branch2
    assert is_depthwise_3x3(extra) and is_depthwise_3x3(depthwise)
    assert first_pointwise.conv.kernel_size == (1, 1)
    # downsampling unit: stride-2 dw -> extra dw (stride 1) -> pointwise in branch1
    strided, extra, pointwise = down.branch1
    assert is_depthwise_3x3(strided) and strided.conv.stride == (2, 2)
    assert is_depthwise_3x3(extra) and extra.conv.stride == (1, 1)
    assert pointwise.conv.kernel_size == (1, 1)
    assert len(down.branch2) == 3  # as in V2
    v2_down = ShuffleNetV2().layers[0][0]
    assert [type(m) for m in down.branch2] == [type(m) for m in v2_down.branch2]


def test_v2_unit_layout_matches_paper():
    unit = ShuffleNetV2().layers[1][1]
    pw1, dw, pw2 = unit.branch2
    assert pw1.with_activation and dw.with_activation is False
    assert pw2.with_activation
    assert not hasattr(unit, 'branch1') and unit.split
