import pytest
import torch

from shufflenet_backbones.models.layers import channel_shuffle


def test_channel_shuffle_interleaves_groups():
    x = torch.arange(6.).view(1, 6, 1, 1)
    out = channel_shuffle(x, 2)
    # groups [0 1 2] and [3 4 5] interleave
    assert out.flatten().tolist() == [0., 3., 1., 4., 2., 5.]
    out3 = channel_shuffle(torch.arange(12.).view(1, 12, 1, 1), 3)
    assert out3.flatten().tolist() == [0., 4., 8., 1., 5., 9., 2., 6., 10., 3., 7., 11.]


def test_channel_shuffle_keeps_spatial_values_and_shape():
    x = torch.randn(2, 8, 5, 3)
    out = channel_shuffle(x, 4)
    assert out.shape == x.shape
    # shuffling with g and then with C / g restores the order
    assert torch.equal(channel_shuffle(out, 2), x)


def test_channel_shuffle_rejects_indivisible_channels():
    with pytest.raises(ValueError, match='groups=4'):
        channel_shuffle(torch.randn(1, 6, 2, 2), 4)
