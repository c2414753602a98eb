"""ShuffleNet V1 (Zhang et al., CVPR 2018)."""
from typing import List, Optional, Sequence, Union

import torch.nn as nn
from mmdet.models.utils import make_divisible

from ...registry import register_model
from ..layers import ShuffleV1Unit
from .base_shufflenet import BaseShuffleNet


@register_model
class ShuffleNetV1(BaseShuffleNet):
    """ShuffleNet V1 backbone.

    Stem (3x3 conv 24, stride 2 + 3x3 max-pool, stride 2) and three stages of
    4 / 8 / 4 :class:`ShuffleV1Unit` s; the first unit of each stage downsamples.

    Widths: ``arch_settings[groups]`` holds the paper's Table 1 (1x). For another
    ``widen_factor`` every stage width is rounded to the nearest multiple of
    ``4 * groups`` (so the bottleneck, a quarter of it, splits into ``groups``) and
    the stem width ``24 * widen_factor`` to the nearest multiple of ``groups`` (so
    the first unit's main branch, ``stage2 - stem`` channels, splits too); neither
    goes below 90% of the unrounded value. 1x is unchanged. All 25 pairs of
    ``groups`` in (1, 2, 3, 4, 8) and ``widen_factor`` in (0.25, 0.5, 1.0, 1.5,
    2.0) build.

    mmpretrain's ``ShuffleNetV1`` rounds every stage width to a multiple of 8 and
    takes ``int(24 * widen_factor)`` for the stem. It builds 18 of the 25 pairs and
    raises at the other 7: g=3 0.25x and g=4 0.25x, 0.5x, 1.5x (the bottleneck,
    a quarter of the width, does not split into the groups) and g=8 0.25x, 0.5x,
    1.5x (``stage2 - stem`` does not). Of the 18, the widths are the same at 17;
    at g=1 0.25x stage 2 has 36 channels here and 40 there (stem 6, stages 3-4
    72 and 144 in both). The paper's "s x" scales every width by s, and
    144 * 0.25 = 36 needs no rounding with one group; mmpretrain's multiple of 8
    makes it 11% wider, so the paper's width is kept. Megvii's release (g=3 and
    g=8, 0.5x-2x) has the same stage widths as here and the stem of 16 at g=8
    0.5x, but a stem of 24 at 1.5x, where 24 * 1.5 gives 36 here (40 at g=8).

    Args:
        groups (int): Groups of the 1x1 convolutions: 1, 2, 3, 4 or 8. Default: 3.
        widen_factor (float): Width multiplier: 0.25, 0.5, 1.0, 1.5 or 2.0.
            Default: 1.0.
        out_indices (Sequence[int]): Feature maps to output: -1 stem (stride 4),
            0 / 1 / 2 stages 2 / 3 / 4 (strides 8 / 16 / 32). Default: (2, ).
        frozen_stages (int): -1 freezes nothing, 0 the stem, k = 1, 2, 3 the stem
            and the first k stages (parameters and BN statistics). 3 freezes the
            whole backbone, for a fixed feature extractor; mmpretrain's
            ShuffleNetV1 stops at 2, and every value it accepts freezes the same
            parameters here. Default: -1.
        strides (Sequence[int]): Stride of the first unit of stages 2-4.
            Default: (2, 2, 2).
        dilations (Sequence[int]): Dilation of the depthwise convs of stages 2-4; a
            stage with dilation > 1 must have stride 1. Output stride 16:
            ``strides=(2, 2, 1), dilations=(1, 1, 2)``; 8: ``strides=(2, 1, 1),
            dilations=(1, 2, 4)``. Default: (1, 1, 1).
        conv_cfg (dict, optional): Convolution config. Default: None (Conv2d).
        norm_cfg (dict): Normalization config. Default: dict(type='BN').
        act_cfg (dict): Activation config. Default: dict(type='ReLU').
        norm_eval (bool): Keep every BN layer (SyncBN included) in eval mode during
            training. Default: False.
        with_cp (bool): Activation checkpointing per unit. Default: False.
        channels_last (bool | str): Memory format the layers run in. True:
            channels-last (the input is converted on entry, the outputs are
            returned contiguous, so necks and heads are unchanged); False: NCHW
            throughout; 'auto': channels-last for CPU inputs, NCHW on other
            devices. On CPU channels-last gives 1.3-1.7x the throughput
            (tools/analysis/benchmark_backbone.py) because PyTorch's CPU kernels
            for max-pooling and depthwise convs vectorise over channels in that
            layout; results change by float rounding only (about 6e-6 of a map's
            peak). Default: 'auto'.
        init_cfg (dict | list[dict], optional): mmengine init config, e.g.
            ``dict(type='Pretrained', checkpoint='...', prefix='backbone.')``.
            None: the papers' initialisation. Default: None.

    Example:
        >>> import torch
        >>> from shufflenet_backbones.models import ShuffleNetV1
        >>> model = ShuffleNetV1(groups=3, out_indices=(-1, 0, 1, 2)).eval()
        >>> for out, info in zip(model(torch.rand(1, 3, 224, 224)),
        ...                      model.feature_info):
        ...     print(info.name, info.stride, tuple(out.shape))
        stem 4 (1, 24, 56, 56)
        stage2 8 (1, 240, 28, 28)
        stage3 16 (1, 480, 14, 14)
        stage4 32 (1, 960, 7, 7)
    """

    # groups -> output channels of stages 2, 3, 4 at 1x (paper, Table 1)
    arch_settings = {
        1: (144, 288, 576),
        2: (200, 400, 800),
        3: (240, 480, 960),
        4: (272, 544, 1088),
        8: (384, 768, 1536),
    }
    widen_factors = (0.25, 0.5, 1.0, 1.5, 2.0)
    stage_blocks = (4, 8, 4)
    stem_channels_1x = 24

    def __init__(self,
                 groups: int = 3,
                 widen_factor: float = 1.0,
                 out_indices: Sequence[int] = (2, ),
                 frozen_stages: int = -1,
                 strides: Sequence[int] = (2, 2, 2),
                 dilations: Sequence[int] = (1, 1, 1),
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 norm_eval: bool = False,
                 with_cp: bool = False,
                 channels_last: Union[bool, str] = 'auto',
                 init_cfg: Union[dict, List[dict], None] = None):
        if groups not in self.arch_settings:
            raise ValueError(f'ShuffleNetV1: groups must be one of '
                             f'{sorted(self.arch_settings)}, got {groups!r}')
        if widen_factor not in self.widen_factors:
            raise ValueError(f'ShuffleNetV1: widen_factor must be one of '
                             f'{self.widen_factors}, got {widen_factor!r}')
        super().__init__(out_indices, frozen_stages, strides, dilations, conv_cfg,
                         norm_cfg, act_cfg, norm_eval, with_cp, channels_last,
                         init_cfg)
        self.groups = groups
        self.widen_factor = widen_factor

        channels = [
            make_divisible(c * widen_factor, 4 * groups)
            for c in self.arch_settings[groups]
        ]
        self._build_stem(make_divisible(self.stem_channels_1x * widen_factor, groups))
        self.layers = nn.ModuleList()
        in_channels = self.stem_channels
        for i, (out_channels, num_units) in enumerate(zip(channels, self.stage_blocks)):
            units = [
                ShuffleV1Unit(
                    in_channels if j == 0 else out_channels,
                    out_channels,
                    groups=groups,
                    stride=self.strides[i] if j == 0 else 1,
                    dilation=self.dilations[i],
                    group_first_conv=not (i == 0 and j == 0),
                    conv_cfg=conv_cfg,
                    norm_cfg=norm_cfg,
                    act_cfg=act_cfg,
                    with_cp=with_cp) for j in range(num_units)
            ]
            self.layers.append(nn.Sequential(*units))
            in_channels = out_channels
        self._finish_init(('stage2', 'stage3', 'stage4'), channels)
