"""The backbones the backbone benchmark compares: ours (also deployed, NCHW, and
without the fused concat-shuffle), torchvision's and mmpretrain's ShuffleNets with
the same weights (BN statistics calibrated so that they are not the identity),
and the check that they all compute the same function."""
import copy
import types
from typing import Dict, NamedTuple, Optional, Tuple

import torch
import torch.nn as nn
import torchvision
from mmpretrain.models.backbones import ShuffleNetV1 as MMPretrainShuffleNetV1
from mmpretrain.models.backbones import ShuffleNetV2 as MMPretrainShuffleNetV2
from torch.nn.modules.batchnorm import _BatchNorm

from ...checkpoint import BACKBONE_PREFIX, strip_prefix
from ...models import ShuffleNetV1, ShuffleNetV2
from ...models.backbones import BaseShuffleNet
from ...models.layers import ShuffleV2Unit, channel_shuffle
from ..weights.torchvision_keys import convert

TORCHVISION_V2 = {0.5: 'shufflenet_v2_x0_5', 1.0: 'shufflenet_v2_x1_0',
                  1.5: 'shufflenet_v2_x1_5', 2.0: 'shufflenet_v2_x2_0'}


OURS = 'ours'


TORCHVISION = 'torchvision'


TORCHVISION_CL = 'torchvision, channels-last'


OURS_NCHW = 'ours, channels_last=False (NCHW throughout)'


# largest difference from the reference, as a fraction of a feature map's peak
EXACT_TOLERANCE = 1e-5


DEPLOY_TOLERANCE = 1e-4


class Variant(NamedTuple):
    model: nn.Module
    peer: Optional[str]  # the variant its ratio is taken against
    tolerance: float = EXACT_TOLERANCE


class TorchvisionFeatures(nn.Module):
    """torchvision's ShuffleNetV2 up to conv5, returning the maps of stages 2-4 and
    conv5 like the backbones (its pooling and FC are not run)."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        x = self.net.maxpool(self.net.conv1(x))
        outs = []
        for layer in (self.net.stage2, self.net.stage3, self.net.stage4,
                      self.net.conv5):
            x = layer(x)
            outs.append(x)
        return tuple(outs)


def calibrate_bn(model: nn.Module) -> nn.Module:
    """Set every BN's running statistics to those of one random batch (with random
    affine parameters) and return the model in eval mode."""
    saved = {}
    for m in model.modules():
        if isinstance(m, _BatchNorm):
            saved[m] = m.momentum
            m.momentum = 1.0
            nn.init.uniform_(m.weight, 0.5, 1.5)
            nn.init.uniform_(m.bias, -0.5, 0.5)
    # not chained: mmpretrain's train() returns None
    model.train()
    with torch.no_grad():
        model(torch.rand(8, 3, 224, 224))
    for m, momentum in saved.items():
        m.momentum = momentum
    model.eval()
    return model


def channels_last(model: nn.Module) -> nn.Module:
    """The model with channels-last weights, fed channels-last inputs."""
    return ChannelsLastInput(copy.deepcopy(model).to(memory_format=torch.channels_last))


class ChannelsLastInput(nn.Module):

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        return self.net(x.contiguous(memory_format=torch.channels_last))


def deployed(model: BaseShuffleNet) -> BaseShuffleNet:
    model = copy.deepcopy(model)
    model.switch_to_deploy()
    return model


def _cat_then_shuffle(self, x: torch.Tensor) -> torch.Tensor:
    """ShuffleV2Unit's forward as it was before concat_shuffle (ablation only)."""
    if self.split:
        half = x.shape[1] // 2
        out = torch.cat((x[:, :half], self.branch2(x[:, half:])), dim=1)
    else:
        out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
    return channel_shuffle(out, 2)


def without_concat_shuffle(model: BaseShuffleNet) -> BaseShuffleNet:
    """Ablation: ours with a separate cat and shuffle (with ``channels_last=False``
    the same operations as torchvision's model)."""
    model = copy.deepcopy(model)
    for unit in model.modules():
        if isinstance(unit, ShuffleV2Unit):
            unit._forward = types.MethodType(_cat_then_shuffle, unit)
    return model


def v2_models(width: float) -> Dict[str, Variant]:
    source = calibrate_bn(getattr(torchvision.models, TORCHVISION_V2[width])())
    state = strip_prefix(convert(source.state_dict()), BACKBONE_PREFIX)
    ours = ShuffleNetV2(widen_factor=width, out_indices=(0, 1, 2, 3))
    ours_nchw = ShuffleNetV2(widen_factor=width, out_indices=(0, 1, 2, 3),
                             channels_last=False)
    mmpretrain_model = MMPretrainShuffleNetV2(widen_factor=width,
                                              out_indices=(0, 1, 2, 3))
    for model in (ours, ours_nchw, mmpretrain_model):
        model.load_state_dict(state)
        model.eval()
    torchvision_model = TorchvisionFeatures(source).eval()
    return {
        TORCHVISION: Variant(torchvision_model, None),
        'mmpretrain': Variant(mmpretrain_model, TORCHVISION),
        OURS: Variant(ours, TORCHVISION),
        OURS_NCHW: Variant(ours_nchw, TORCHVISION),
        'ours, channels_last=False, without concat_shuffle (ablation)': Variant(
            without_concat_shuffle(ours_nchw), TORCHVISION),
        'ours, deploy (BN folded)': Variant(deployed(ours), TORCHVISION,
                                            DEPLOY_TOLERANCE),
        # the same layout as ours as built on CPU
        TORCHVISION_CL: Variant(channels_last(torchvision_model), TORCHVISION),
        'ours, against torchvision channels-last': Variant(ours, TORCHVISION_CL),
        'ours, deploy, against torchvision channels-last': Variant(
            deployed(ours), TORCHVISION_CL, DEPLOY_TOLERANCE),
    }


def v1_models() -> Dict[str, Variant]:
    source = calibrate_bn(MMPretrainShuffleNetV1(groups=3, out_indices=(0, 1, 2)))
    ours = ShuffleNetV1(groups=3, out_indices=(0, 1, 2))
    ours_nchw = ShuffleNetV1(groups=3, out_indices=(0, 1, 2), channels_last=False)
    for model in (ours, ours_nchw):
        model.load_state_dict(source.state_dict())
        model.eval()
    return {
        'mmpretrain': Variant(source, None),
        OURS: Variant(ours, 'mmpretrain'),
        OURS_NCHW: Variant(ours_nchw, 'mmpretrain'),
        'ours, deploy (BN folded)': Variant(deployed(ours), 'mmpretrain',
                                            DEPLOY_TOLERANCE),
    }


def check_outputs(variants: Dict[str, Variant]) -> Dict[str, float]:
    """Largest difference of each variant's feature maps from the reference's
    (the first variant), as a fraction of that map's largest magnitude; raises if
    one exceeds the variant's tolerance."""
    x = torch.rand(2, 3, 224, 224)
    names = list(variants)
    with torch.inference_mode():
        expected = variants[names[0]].model(x)
        diffs = {}
        for name in names[1:]:
            outs = variants[name].model(x)
            assert len(outs) == len(expected), name
            diffs[name] = max(((o - e).abs().max() / e.abs().max()).item()
                              for o, e in zip(outs, expected))
            if diffs[name] > variants[name].tolerance:
                raise AssertionError(
                    f'{name} differs from {names[0]} by {diffs[name]:.2e} of a '
                    f'feature map\'s peak (allowed: {variants[name].tolerance})')
    return diffs
