import pytest
import torch

from shufflenet_backbones.models.layers import channel_shuffle, concat_shuffle


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


@pytest.mark.parametrize('groups', [2, 3, 8])
def test_channel_shuffle_keeps_channels_last(groups):
    """Same values in either layout; a channels-last input stays channels-last, so
    the convolutions after the shuffle (ShuffleNet V1) keep running in it."""
    x = torch.randn(2, 24, 5, 3)
    out = channel_shuffle(x.contiguous(memory_format=torch.channels_last), groups)
    assert out.is_contiguous(memory_format=torch.channels_last)
    assert not out.is_contiguous()
    assert torch.equal(out, channel_shuffle(x, groups))


def test_channel_shuffle_rejects_indivisible_channels():
    with pytest.raises(ValueError, match='groups=4'):
        channel_shuffle(torch.randn(1, 6, 2, 2), 4)


@pytest.mark.parametrize('channels_last', [False, True], ids=['nchw', 'nhwc'])
def test_concat_shuffle_equals_cat_then_shuffle(channels_last):
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    x = torch.randn(2, 10, 5, 7).contiguous(memory_format=fmt)
    first = x[:, :5]  # a slice, as the V2 unit passes it
    second = torch.randn(2, 5, 5, 7).contiguous(memory_format=fmt)
    out = concat_shuffle(first, second)
    assert torch.equal(out, channel_shuffle(torch.cat((first, second), 1), 2))
    assert out.is_contiguous(memory_format=fmt)  # the layout is kept


def test_concat_shuffle_gradients():
    first = torch.randn(1, 3, 4, 4, requires_grad=True)
    second = torch.randn(1, 3, 4, 4, requires_grad=True)
    weight = torch.randn(1, 6, 4, 4)
    (concat_shuffle(first, second) * weight).sum().backward()
    # first goes to the even channels, second to the odd ones
    assert torch.equal(first.grad, weight[:, 0::2])
    assert torch.equal(second.grad, weight[:, 1::2])
