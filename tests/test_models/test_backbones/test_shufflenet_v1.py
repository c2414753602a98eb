import itertools

import pytest
import torch

from shufflenet_backbones.models import ShuffleNetV1
from shufflenet_backbones.toolkit.analysis.complexity import \
    classifier_multiply_adds

GROUPS = (1, 2, 3, 4, 8)
WIDTHS = (0.25, 0.5, 1.0, 1.5, 2.0)
# paper Table 1 (1x): stage widths and MFLOPs
PAPER_1X = {1: ((144, 288, 576), 143), 2: ((200, 400, 800), 140),
            3: ((240, 480, 960), 137), 4: ((272, 544, 1088), 133),
            8: ((384, 768, 1536), 137)}


@pytest.mark.parametrize('groups,widen_factor',
                         list(itertools.product(GROUPS, WIDTHS)))
def test_every_group_width_pair_builds_and_runs(groups, widen_factor):
    model = ShuffleNetV1(groups=groups, widen_factor=widen_factor,
                         out_indices=(-1, 0, 1, 2)).eval()
    outs = model(torch.rand(1, 3, 64, 64))
    assert [tuple(o.shape[2:]) for o in outs] == [(16, 16), (8, 8), (4, 4), (2, 2)]
    assert [o.shape[1] for o in outs] == list(model.out_channels)
    stem, *stages = model.out_channels
    assert stem % groups == 0
    # every grouped conv divides: bottleneck (a quarter) splits into groups
    assert all(c % (4 * groups) == 0 for c in stages)
    # rounding stays within 10% of the scaled paper width
    for c, c1x in zip(stages, PAPER_1X[groups][0]):
        assert abs(c - c1x * widen_factor) <= 0.1 * c1x * widen_factor


@pytest.mark.parametrize('groups', GROUPS)
def test_1x_widths_and_flops_match_paper(groups):
    model = ShuffleNetV1(groups=groups, out_indices=(-1, 0, 1, 2))
    widths, mflops = PAPER_1X[groups]
    assert model.out_channels == (24, ) + widths
    assert classifier_multiply_adds(model) / 1e6 == pytest.approx(mflops, rel=0.03)


def test_first_unit_of_stage2_is_not_grouped():
    model = ShuffleNetV1(groups=3)
    assert model.layers[0][0].g_conv_1x1_compress.conv.groups == 1
    assert model.layers[0][1].g_conv_1x1_compress.conv.groups == 3
    assert model.layers[1][0].g_conv_1x1_compress.conv.groups == 3


def test_depthwise_conv_has_no_activation():
    unit = ShuffleNetV1(groups=3).layers[0][1]
    assert unit.depthwise_conv3x3_bn.with_activation is False
    assert unit.g_conv_1x1_expand.with_activation is False


@pytest.mark.parametrize('groups', [5, 0])
def test_bad_groups_names_the_argument(groups):
    with pytest.raises(ValueError, match=r'groups must be one of \[1, 2, 3, 4, 8\]'):
        ShuffleNetV1(groups=groups)
