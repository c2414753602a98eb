import pytest
import torch
import torch.nn as nn

from shufflenet_backbones.models.layers import ChannelsLastMaxPool2d


@pytest.mark.parametrize('shape', [(2, 8, 15, 22), (1, 24, 40, 61)])
@pytest.mark.parametrize('kernel_size,stride,padding,ceil_mode',
                         [(3, 2, 1, False), (2, 2, 0, True), (3, 1, 1, False)])
def test_same_values_and_gradients_as_torch(shape, kernel_size, stride, padding,
                                            ceil_mode):
    # after a ReLU: many ties, where the chosen maximum decides the gradient
    x = torch.randn(*shape).relu().requires_grad_()
    x_ref = x.detach().clone().requires_grad_()
    ours = ChannelsLastMaxPool2d(kernel_size, stride, padding, ceil_mode=ceil_mode)
    ref = nn.MaxPool2d(kernel_size, stride, padding, ceil_mode=ceil_mode)
    out, expected = ours(x), ref(x_ref)
    assert torch.equal(out, expected)
    assert out.is_contiguous()  # back in the input's layout
    weight = torch.randn_like(out)
    (out * weight).sum().backward()
    (expected * weight).sum().backward()
    assert torch.equal(x.grad, x_ref.grad)


def test_channels_last_input_stays_channels_last():
    x = torch.randn(2, 8, 9, 9).contiguous(memory_format=torch.channels_last)
    out = ChannelsLastMaxPool2d(3, 2, 1)(x)
    assert out.is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(out, nn.MaxPool2d(3, 2, 1)(x))
