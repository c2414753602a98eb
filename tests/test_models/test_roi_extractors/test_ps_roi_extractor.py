import pytest
import torch
from torchvision.ops import ps_roi_align

from shufflenet_backbones.models import PSRoIExtractor


def test_pools_the_first_feature_map_position_sensitively():
    extractor = PSRoIExtractor(
        roi_layer=dict(type='PSRoIAlign', output_size=7, sampling_ratio=2),
        out_channels=10, featmap_strides=[16])
    thin, other = torch.rand(2, 490, 8, 8), torch.rand(2, 5, 8, 8)
    rois = torch.tensor([[0., 0., 0., 64., 64.], [1., 10., 20., 100., 90.]])
    out = extractor((thin, other), rois)
    assert out.shape == (2, 10, 7, 7)
    torch.testing.assert_close(out, ps_roi_align(thin, rois, 7, 1 / 16, 2))


def test_channel_mismatch_and_bad_layer_are_named():
    extractor = PSRoIExtractor(roi_layer=dict(type='PSRoIAlign', output_size=7),
                               out_channels=10, featmap_strides=[16])
    with pytest.raises(ValueError, match='needs 490'):
        extractor((torch.rand(1, 98, 8, 8), ), torch.zeros(1, 5))
    with pytest.raises(ValueError, match="must be 'PSRoIAlign'"):
        PSRoIExtractor(roi_layer=dict(type='RoIAlign', output_size=7),
                       out_channels=10, featmap_strides=[16])
    with pytest.raises(ValueError, match='exactly one stride'):
        PSRoIExtractor(roi_layer=dict(type='PSRoIAlign', output_size=7),
                       out_channels=10, featmap_strides=[16, 32])
