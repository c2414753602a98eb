import pytest
import torch
from torch.nn.modules.batchnorm import _BatchNorm

from shufflenet_backbones.models.necks import SpatialAttentionModule


def test_reweights_the_feature_by_sigmoid_of_bn_conv_of_the_guide(randomise_bn):
    sam = randomise_bn(SpatialAttentionModule(in_channels=6, out_channels=10))
    conv, bn = sam.conv.conv, sam.conv.bn
    assert conv.kernel_size == (1, 1) and conv.bias is None  # BN follows
    assert isinstance(bn, _BatchNorm)
    feature, guide = torch.randn(2, 10, 5, 7), torch.randn(2, 6, 5, 7)
    with torch.no_grad():
        out = sam(feature, guide)
        weights = torch.sigmoid(bn(conv(guide)))
    torch.testing.assert_close(out, feature * weights)
    assert (out.abs() <= feature.abs()).all()  # weights in (0, 1)


def test_gradient_reaches_the_guide():
    sam = SpatialAttentionModule(in_channels=6, out_channels=10)
    guide = torch.randn(2, 6, 5, 7, requires_grad=True)
    sam(torch.randn(2, 10, 5, 7), guide).sum().backward()
    assert guide.grad.abs().sum() > 0


def test_wrong_channels_are_named():
    sam = SpatialAttentionModule(in_channels=6, out_channels=10)
    with pytest.raises(ValueError, match='feature of 9 channels'):
        sam(torch.rand(1, 9, 4, 4), torch.rand(1, 6, 4, 4))
    with pytest.raises(ValueError, match='guide of 5'):
        sam(torch.rand(1, 10, 4, 4), torch.rand(1, 5, 4, 4))
