import pytest
import torch
from torch.nn.modules.batchnorm import _BatchNorm

from shufflenet_backbones.models.necks import ContextEnhancementModule


def test_output_has_c4_resolution_and_245_channels():
    cem = ContextEnhancementModule(in_channels=(16, 32))
    c4, c5 = torch.rand(2, 16, 15, 21), torch.rand(2, 32, 8, 11)  # odd C4 sizes
    out, = cem((c4, c5))
    assert out.shape == (2, 245, 15, 21)


def test_plain_convs_with_bias_and_no_norm_or_activation():
    cem = ContextEnhancementModule(in_channels=(16, 32), out_channels=8)
    convs = [cem.c4_conv, cem.c5_conv, cem.global_conv]
    assert [c.kernel_size for c in convs] == [(1, 1)] * 3
    assert all(c.bias is not None for c in convs)
    assert not any(isinstance(m, _BatchNorm) for m in cem.modules())
    # linear in its inputs: no activation anywhere
    c4, c5 = torch.randn(1, 16, 4, 4), torch.randn(1, 32, 2, 2)
    zero, = cem((torch.zeros_like(c4), torch.zeros_like(c5)))
    out, = cem((c4, c5))
    doubled, = cem((2 * c4, 2 * c5))
    torch.testing.assert_close(doubled - zero, 2 * (out - zero))


def test_c5_is_upsampled_nearest_and_its_mean_reaches_every_position():
    cem = ContextEnhancementModule(in_channels=(4, 4), out_channels=3)
    c4, c5 = torch.zeros(1, 4, 4, 4), torch.rand(1, 4, 2, 2)
    with torch.no_grad():
        out, = cem((c4, c5))
    # nearest: each C5 cell covers a 2x2 block of C4 positions
    block = out[..., :2, :2]
    assert torch.equal(block, block[..., :1, :1].expand_as(block))
    # changing one C5 cell changes its own block through the C5 branch and every
    # other block only through the global branch, by the same amount everywhere
    c5_changed = c5.clone()
    c5_changed[..., 0, 0] += 1
    with torch.no_grad():
        changed, = cem((c4, c5_changed))
    delta = changed - out
    expected = cem.global_conv.weight.sum(dim=(1, 2, 3)) / 4  # mean over 4 cells
    torch.testing.assert_close(delta[0, :, 3, 3], expected)
    torch.testing.assert_close(delta[0, :, 2, 0], delta[0, :, 0, 3])


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match='C4 and C5'):
        ContextEnhancementModule(in_channels=(16, 32, 32))
    cem = ContextEnhancementModule(in_channels=(16, 32))
    with pytest.raises(ValueError, match='C5 has 8 channels, in_channels says 32'):
        cem((torch.rand(1, 16, 4, 4), torch.rand(1, 8, 2, 2)))
    with pytest.raises(ValueError, match=r'expects \(C4, C5\)'):
        cem((torch.rand(1, 16, 4, 4), ))
