"""Our ShuffleNetV1 / ShuffleNetV2 against mmpretrain's classes of the same names.

Over every width (and, for V1, group count) mmpretrain builds: constructor
arguments and defaults, state-dict keys, tensor shapes, outputs for the same
``out_indices`` (shapes, and values once mmpretrain's weights are loaded: the keys
need no mapping, ``convert_mmpretrain`` keeps them as they are), and the values
``out_indices`` and ``frozen_stages`` accept. Every difference by design is listed
below with its reason; any other difference fails.
"""
import inspect
import itertools

import pytest
import torch
from mmpretrain.models.backbones import ShuffleNetV1 as MMPretrainV1
from mmpretrain.models.backbones import ShuffleNetV2 as MMPretrainV2

from shufflenet_backbones.models import ShuffleNetV1, ShuffleNetV2

V1_GROUPS = (1, 2, 3, 4, 8)
V1_WIDTHS = (0.25, 0.5, 1.0, 1.5, 2.0)
V2_WIDTHS = (0.5, 1.0, 1.5, 2.0)

# Arguments mmpretrain's classes do not have. They come after frozen_stages, so
# mmpretrain's positional order holds up to there; configs pass keywords.
OURS_ONLY_ARGUMENTS = {
    'strides': 'dense prediction: output stride 16 or 8 (with dilations)',
    'dilations': 'dense prediction: dilated stages in place of strided ones',
    'channels_last': 'memory format the layers run in (CPU speed); values equal',
}

# (groups, widen_factor) -> why mmpretrain's ShuffleNetV1 raises (ours builds all
# 25). Its stages are rounded to multiples of 8 and its stem is int(24 * w).
MMPRETRAIN_V1_RAISES = {
    (3, 0.25): 'stage2 64: bottleneck 16 does not split into 3 groups',
    (4, 0.25): 'stage2 72: bottleneck 18 does not split into 4 groups',
    (4, 0.5): 'stage2 136: bottleneck 34 does not split into 4 groups',
    (4, 1.5): 'stage2 408: bottleneck 102 does not split into 4 groups',
    (8, 0.25): 'stem 6: stage2 96 - 6 = 90 does not split into 8 groups',
    (8, 0.5): 'stem 12: stage2 192 - 12 = 180 does not split into 8 groups',
    (8, 1.5): 'stem 36: stage2 576 - 36 = 540 does not split into 8 groups',
}

# (groups, widen_factor) -> (our widths, mmpretrain's): stem and stages 2-4.
# g=1 0.25x: the paper's "s x" scales every width by s, and 144 * 0.25 = 36 needs
# no rounding with one group; mmpretrain's multiple of 8 makes it 40.
V1_WIDTH_DIFFERENCES = {
    (1, 0.25): ((6, 36, 72, 144), (6, 40, 72, 144)),
}

V1_BUILT_BY_BOTH = [
    pair for pair in itertools.product(V1_GROUPS, V1_WIDTHS)
    if pair not in MMPRETRAIN_V1_RAISES
]


def in_mode(model, training):
    # mmpretrain's train() returns None, so no chaining
    model.train(training)
    return model


def v1_pair(groups, widen_factor, **kwargs):
    """Ours and mmpretrain's ShuffleNetV1 with the same arguments, eval mode."""
    return tuple(
        in_mode(cls(groups=groups, widen_factor=widen_factor, **kwargs), False)
        for cls in (ShuffleNetV1, MMPretrainV1))


def v2_pair(widen_factor, **kwargs):
    return tuple(
        in_mode(cls(widen_factor=widen_factor, **kwargs), False)
        for cls in (ShuffleNetV2, MMPretrainV2))


def v1_widths(model):
    """Stem and stage widths of either implementation, read off the modules."""
    return (model.conv1.conv.out_channels, ) + tuple(
        stage[-1].g_conv_1x1_expand.conv.out_channels for stage in model.layers)


def shapes(model):
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


def assert_same_network(ours, theirs, randomise_bn, out_indices):
    """Same keys and shapes; with mmpretrain's weights, the same outputs."""
    assert shapes(ours) == shapes(theirs)
    # strict: every key of each is in the other
    ours.load_state_dict(randomise_bn(theirs).state_dict())
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        expected, got = theirs(x), ours(x)
    assert len(got) == len(expected) == len(out_indices)
    for a, b in zip(got, expected):
        assert a.shape == b.shape
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('ours_cls,theirs_cls', [(ShuffleNetV1, MMPretrainV1),
                                                 (ShuffleNetV2, MMPretrainV2)])
def test_arguments_and_defaults(ours_cls, theirs_cls):
    ours = inspect.signature(ours_cls.__init__).parameters
    theirs = inspect.signature(theirs_cls.__init__).parameters
    assert set(theirs) - set(ours) == set()
    assert set(ours) - set(theirs) == set(OURS_ONLY_ARGUMENTS)
    shared = [name for name in ours if name in theirs]
    assert shared == list(theirs)  # same relative order
    for name in shared:
        assert ours[name].default == theirs[name].default, name
    names = list(ours)
    assert names.index('frozen_stages') < min(
        names.index(name) for name in OURS_ONLY_ARGUMENTS) < names.index('conv_cfg')


@pytest.mark.parametrize('groups,widen_factor', list(MMPRETRAIN_V1_RAISES))
def test_v1_pairs_mmpretrain_cannot_build(groups, widen_factor):
    with pytest.raises(ValueError, match='must be divisible by groups'):
        MMPretrainV1(groups=groups, widen_factor=widen_factor)
    ShuffleNetV1(groups=groups, widen_factor=widen_factor)


@pytest.mark.parametrize('groups,widen_factor', V1_BUILT_BY_BOTH)
def test_v1_same_network(groups, widen_factor, randomise_bn):
    out_indices = (0, 1, 2)
    ours, theirs = v1_pair(groups, widen_factor, out_indices=out_indices)
    assert set(ours.state_dict()) == set(theirs.state_dict())
    if (groups, widen_factor) in V1_WIDTH_DIFFERENCES:
        assert (v1_widths(ours), v1_widths(theirs)) == V1_WIDTH_DIFFERENCES[
            (groups, widen_factor)]
        # only stage 2 and the first unit of stage 3 (its input) differ
        ours_shapes, theirs_shapes = shapes(ours), shapes(theirs)
        differ = [k for k in ours_shapes if ours_shapes[k] != theirs_shapes[k]]
        assert differ and all(k.startswith(('layers.0.', 'layers.1.0.'))
                              for k in differ)
        return
    assert v1_widths(ours) == v1_widths(theirs) == (ours.stem_channels, ) + tuple(
        ours.out_channels)
    assert_same_network(ours, theirs, randomise_bn, out_indices)


@pytest.mark.parametrize('widen_factor', V2_WIDTHS)
def test_v2_same_network(widen_factor, randomise_bn):
    out_indices = (0, 1, 2, 3)
    ours, theirs = v2_pair(widen_factor, out_indices=out_indices)
    assert set(ours.state_dict()) == set(theirs.state_dict())
    assert_same_network(ours, theirs, randomise_bn, out_indices)


def test_layers_past_the_deepest_output_are_not_built():
    """By design: no compute and no parameters without gradients (which DDP
    rejects) for layers no output needs. A full checkpoint still loads (those
    keys are reported as unexpected)."""
    ours, theirs = v2_pair(1.0, out_indices=(1, ))
    missing = set(theirs.state_dict()) - set(ours.state_dict())
    assert set(ours.state_dict()) < set(theirs.state_dict())
    assert {k.split('.')[1] for k in missing} == {'2', '3'}


# (id, ours, mmpretrain's, constructor arguments, number of entries in layers)
CASES = [(f'v1-g{g}-{w}x', ShuffleNetV1, MMPretrainV1,
          dict(groups=g, widen_factor=w), 3) for g, w in V1_BUILT_BY_BOTH]
CASES += [(f'v2-{w}x', ShuffleNetV2, MMPretrainV2, dict(widen_factor=w), 4)
          for w in V2_WIDTHS]
every_case = pytest.mark.parametrize('ours_cls,theirs_cls,kwargs,num_layers',
                                     [case[1:] for case in CASES],
                                     ids=[case[0] for case in CASES])


def built(cls, **kwargs):
    """``cls(**kwargs)`` in training mode, None if it raises ValueError."""
    try:
        return in_mode(cls(**kwargs), True)
    except ValueError:
        return None


@every_case
def test_frozen_stages_range_and_meaning(ours_cls, theirs_cls, kwargs, num_layers):
    """mmpretrain accepts -1 .. num_layers - 1; we accept num_layers as well, which
    freezes the whole backbone. Every value both accept freezes the same
    parameters; ours also keeps the frozen stem's BN statistics fixed (mmpretrain
    only stops the stem's gradients: its BN stays in training mode)."""
    values = range(-2, num_layers + 2)
    ours = {k: built(ours_cls, frozen_stages=k, **kwargs) for k in values}
    theirs = {k: built(theirs_cls, frozen_stages=k, **kwargs) for k in values}
    theirs_ok = [k for k in values if theirs[k] is not None]
    assert theirs_ok == list(range(-1, num_layers))
    assert [k for k in values if ours[k] is not None] == theirs_ok + [num_layers]
    stem = {n for n, _ in ours[0].conv1.named_modules(prefix='conv1')}
    for k in theirs_ok:
        assert ({n for n, p in ours[k].named_parameters() if not p.requires_grad} ==
                {n for n, p in theirs[k].named_parameters() if not p.requires_grad})
        assert {n for n, m in ours[k].named_modules() if not m.training} == {
            n for n, m in theirs[k].named_modules() if not m.training
        } | (stem if k >= 0 else set())
    whole = ours[num_layers]
    assert not any(p.requires_grad for p in whole.parameters())
    assert not any(m.training for m in [whole.conv1, *whole.layers])


@every_case
def test_out_indices_range(ours_cls, theirs_cls, kwargs, num_layers):
    """Ours adds -1, the stem (stride 4), for FPN-style necks; 0 and up mean the
    same in both."""
    values = range(-2, num_layers + 1)
    ours_ok = [
        i for i in values
        if built(ours_cls, out_indices=(i, ), **kwargs) is not None
    ]
    theirs_ok = [
        i for i in values
        if built(theirs_cls, out_indices=(i, ), **kwargs) is not None
    ]
    assert theirs_ok == list(range(num_layers))
    assert ours_ok == [-1] + theirs_ok
