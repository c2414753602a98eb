"""Activation checkpointing (models/layers/activation_checkpoint.py and the units'
``with_cp``): in training mode the same outputs, input and parameter gradients and
BN running statistics as without it (momentum put back after the recomputation),
while the block really is run again in the backward pass."""
import copy

import pytest
import torch
import torch.nn as nn

from shufflenet_backbones.models.layers import (ShuffleV1Unit, ShuffleV2Unit,
                                                checkpointed)

UNITS = {  # name: class, arguments
    'v1_basic': (ShuffleV1Unit, dict(in_channels=48, out_channels=48, groups=3)),
    'v1_down': (ShuffleV1Unit, dict(in_channels=24, out_channels=48, groups=2,
                                    stride=2)),
    'v2_basic': (ShuffleV2Unit, dict(in_channels=48, out_channels=48)),
    'v2_down': (ShuffleV2Unit, dict(in_channels=24, out_channels=48, stride=2)),
    'v2star_basic': (ShuffleV2Unit, dict(in_channels=48, out_channels=48,
                                         extra_depthwise=True)),
    'v2star_down': (ShuffleV2Unit, dict(in_channels=24, out_channels=48, stride=2,
                                        extra_depthwise=True)),
}


def build(name, with_cp=False):
    cls, kwargs = UNITS[name]
    return cls(**kwargs, with_cp=with_cp).train(), kwargs['in_channels']


def forward_backward(unit, x):
    x = x.clone().requires_grad_()
    out = unit(x)
    (out * torch.linspace(-1, 1, out.numel()).view_as(out)).sum().backward()
    return out.detach(), x.grad


def count_conv_calls(unit):
    calls = []
    for module in unit.modules():
        if isinstance(module, nn.Conv2d):
            module.register_forward_hook(lambda *_: calls.append(1))
    return calls


@pytest.mark.parametrize('name', sorted(UNITS))
def test_with_cp_matches_the_plain_unit_in_training(name):
    plain, in_channels = build(name)
    ckpt, _ = build(name, with_cp=True)
    ckpt.load_state_dict(plain.state_dict())
    calls = count_conv_calls(ckpt)
    x = torch.randn(2, in_channels, 9, 9)
    out1, grad1 = forward_backward(plain, x)
    out2, grad2 = forward_backward(ckpt, x)
    convs = sum(isinstance(m, nn.Conv2d) for m in ckpt.modules())
    assert len(calls) == 2 * convs  # recomputed in the backward pass
    torch.testing.assert_close(out2, out1, rtol=0, atol=0)
    torch.testing.assert_close(grad2, grad1, rtol=1e-6, atol=1e-7)
    grads = dict(ckpt.named_parameters())
    for key, param in plain.named_parameters():
        torch.testing.assert_close(grads[key].grad, param.grad, rtol=1e-5,
                                   atol=1e-7, msg=key)
    # running statistics and num_batches_tracked updated once, not twice
    state = ckpt.state_dict()
    for key, value in plain.state_dict().items():
        torch.testing.assert_close(state[key], value, rtol=0, atol=0, msg=key)


@pytest.mark.parametrize('momentum', [0.1, None])  # None: cumulative average
def test_checkpointed_keeps_bn_statistics_and_their_settings(momentum):
    block = nn.Sequential(nn.Conv2d(4, 4, 3, padding=1),
                          nn.BatchNorm2d(4, momentum=momentum), nn.ReLU()).train()
    reference = copy.deepcopy(block)
    x = torch.randn(2, 4, 5, 5)
    out = checkpointed(block, block, x.clone().requires_grad_())
    out.sum().backward()
    reference(x).sum().backward()
    bn, ref = block[1], reference[1]
    assert bn.momentum == momentum  # put back after the recomputation
    torch.testing.assert_close(bn.running_mean, ref.running_mean, rtol=0, atol=0)
    torch.testing.assert_close(bn.running_var, ref.running_var, rtol=0, atol=0)
    assert bn.num_batches_tracked.item() == ref.num_batches_tracked.item() == 1
