from typing import List, Optional

import torch.nn as nn
from mmdet.models.roi_heads.roi_extractors import BaseRoIExtractor
from torch import Tensor

from ... import ops
from ...registry import register_detection_model


@register_detection_model
class PSRoIExtractor(BaseRoIExtractor):
    """Position-sensitive RoI feature extractor on one feature map.

    mmdet's ``SingleRoIExtractor`` only builds layers from ``mmcv.ops``, which has
    no position-sensitive op; this builds :class:`~shufflenet_backbones.ops.PSRoIAlign`
    from ``roi_layer`` and pools the thin feature map of Light-Head R-CNN.

    Args:
        roi_layer (dict): ``dict(type='PSRoIAlign', output_size=7,
            sampling_ratio=2, mode='avg' | 'max')``. ``sampling_ratio`` defaults
            to 2 here (the papers' 2x2 samples per bin), although
            :class:`~shufflenet_backbones.ops.PSRoIAlign`, like torchvision's,
            has no default.
        out_channels (int): Channels per RoI after pooling (10 in the paper); the
            feature map must have ``out_channels * output_size ** 2``.
        featmap_strides (list[int]): One stride: that of the feature map.
        init_cfg (dict, optional): Unused (no weights).

    Shape:
        feats: tuple whose first entry is (N, out_channels * p * p, H, W);
        rois: (K, 5). Output: (K, out_channels, p, p).
    """

    def __init__(self,
                 roi_layer: dict,
                 out_channels: int,
                 featmap_strides: List[int],
                 init_cfg: Optional[dict] = None):
        if len(featmap_strides) != 1:
            raise ValueError('PSRoIExtractor: featmap_strides must hold exactly one '
                             f'stride, got {featmap_strides}')
        super().__init__(roi_layer, out_channels, featmap_strides, init_cfg)

    def build_roi_layers(self, layer_cfg: dict,
                         featmap_strides: List[int]) -> nn.ModuleList:
        cfg = dict(layer_cfg)
        # what configs without it got before PSRoIAlign took torchvision's
        # signature; keeps their models unchanged
        cfg.setdefault('sampling_ratio', 2)
        layer_type = cfg.pop('type')
        if layer_type not in ('PSRoIAlign', ops.PSRoIAlign):
            raise ValueError("PSRoIExtractor: roi_layer type must be 'PSRoIAlign', "
                             f'got {layer_type!r}')
        return nn.ModuleList(
            [ops.PSRoIAlign(spatial_scale=1 / s, **cfg) for s in featmap_strides])

    def forward(self, feats: tuple, rois: Tensor,
                roi_scale_factor: Optional[float] = None) -> Tensor:
        layer = self.roi_layers[0]
        expected = self.out_channels * layer.output_size[0] * layer.output_size[1]
        if feats[0].shape[1] != expected:
            raise ValueError(
                f'PSRoIExtractor: the feature map has {feats[0].shape[1]} channels; '
                f'out_channels={self.out_channels} with {layer.output_size} bins '
                f'needs {expected}')
        if roi_scale_factor is not None:
            rois = self.roi_rescale(rois, roi_scale_factor)
        return layer(feats[0], rois)
