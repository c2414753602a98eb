from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from torchvision.ops import ps_roi_align

from shufflenet_backbones.models import PSRoIExtractor

REPO_ROOT = Path(__file__).resolve().parents[3]


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


def test_sampling_ratio_defaults_to_the_papers_2():
    # PSRoIAlign took torchvision's signature, with no default sampling_ratio; a
    # roi_layer without one keeps the 2 x 2 grid it had, not the adaptive one
    extractor = PSRoIExtractor(roi_layer=dict(type='PSRoIAlign', output_size=7),
                               out_channels=10, featmap_strides=[16])
    assert extractor.roi_layers[0].sampling_ratio == 2
    thin = torch.rand(2, 490, 8, 8)
    rois = torch.tensor([[0., 0., 0., 120., 100.], [1., 10., 20., 100., 90.]])
    out = extractor((thin, ), rois)
    torch.testing.assert_close(out, ps_roi_align(thin, rois, 7, 1 / 16, 2))
    assert not torch.allclose(out, ps_roi_align(thin, rois, 7, 1 / 16))
    adaptive = PSRoIExtractor(
        roi_layer=dict(type='PSRoIAlign', output_size=7, sampling_ratio=-1),
        out_channels=10, featmap_strides=[16])
    torch.testing.assert_close(adaptive((thin, ), rois),
                               ps_roi_align(thin, rois, 7, 1 / 16, -1))


def _extractor(config):
    return Config.fromfile(str(config)).model.roi_head.bbox_roi_extractor


PS_ROI_CONFIGS = [c for c in sorted((REPO_ROOT / 'configs' / 'det').glob('*.py'))
                  if _extractor(c).type == 'PSRoIExtractor']


def test_the_light_head_configs_pool_with_psroialign():
    assert len(PS_ROI_CONFIGS) >= 10  # every Light-Head R-CNN and ThunderNet config


@pytest.mark.parametrize('config', PS_ROI_CONFIGS, ids=lambda p: p.name)
def test_configs_keep_a_2x2_grid(config):
    # what they pooled with before sampling_ratio's default became adaptive
    extractor = _extractor(config)
    built = PSRoIExtractor(**{k: v for k, v in extractor.items() if k != 'type'})
    assert built.roi_layers[0].sampling_ratio == 2
