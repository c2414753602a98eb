"""ShuffleNet V2 (Ma et al., ECCV 2018) and ShuffleNet V2* (its detection variant)."""
from typing import List, Optional, Sequence, Union

from mmcv.cnn import ConvModule

from ...registry import register_model
from .base_shufflenet import BaseShuffleNet


@register_model
class ShuffleNetV2(BaseShuffleNet):
    """ShuffleNet V2 backbone.

    Stem (3x3 conv 24, stride 2 + 3x3 max-pool, stride 2), three stages of
    4 / 8 / 4 :class:`ShuffleV2Unit` s (the first of each downsamples) and the 1x1
    "conv5". Widths are the paper's Table 5 (``arch_settings``); with a 1000-class
    FC the parameter count equals torchvision's ``shufflenet_v2_x*``. Module and
    state-dict names are mmpretrain's, so its checkpoints load as they are.

    Args:
        widen_factor (float): 0.5, 1.0, 1.5 or 2.0. Default: 1.0.
        out_indices (Sequence[int]): Feature maps to output: -1 stem (stride 4),
            0 / 1 / 2 stages 2 / 3 / 4 (strides 8 / 16 / 32), 3 conv5 (stride 32).
            Default: (3, ).
        frozen_stages (int): -1 freezes nothing, 0 the stem, k = 1, 2, 3 the stem
            and the first k stages, 4 also conv5: the whole backbone, for a fixed
            feature extractor (parameters and BN statistics). mmpretrain's
            ShuffleNetV2 stops at 3, and every value it accepts freezes the same
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
        >>> from shufflenet_backbones.models import ShuffleNetV2
        >>> model = ShuffleNetV2(out_indices=(-1, 0, 1, 2, 3)).eval()
        >>> for out, info in zip(model(torch.rand(1, 3, 224, 224)),
        ...                      model.feature_info):
        ...     print(info.name, info.stride, tuple(out.shape))
        stem 4 (1, 24, 56, 56)
        stage2 8 (1, 116, 28, 28)
        stage3 16 (1, 232, 14, 14)
        stage4 32 (1, 464, 7, 7)
        conv5 32 (1, 1024, 7, 7)
    """

    # widen_factor -> output channels of stages 2, 3, 4 and conv5 (paper, Table 5)
    arch_settings = {
        0.5: (48, 96, 192, 1024),
        1.0: (116, 232, 464, 1024),
        1.5: (176, 352, 704, 1024),
        2.0: (244, 488, 976, 2048),
    }
    stage_blocks = (4, 8, 4)
    stem_channels = 24
    extra_depthwise = False

    def __init__(self,
                 widen_factor: float = 1.0,
                 out_indices: Sequence[int] = (3, ),
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
        name = type(self).__name__
        if widen_factor not in self.arch_settings:
            raise ValueError(f'{name}: widen_factor must be one of '
                             f'{tuple(self.arch_settings)}, got {widen_factor!r}')
        super().__init__(out_indices, frozen_stages, strides, dilations, conv_cfg,
                         norm_cfg, act_cfg, norm_eval, with_cp, channels_last,
                         init_cfg)
        self.widen_factor = widen_factor
        channels = self.arch_settings[widen_factor]

        self._build_stem(self.stem_channels)
        self._build_v2_stages(self.stem_channels, channels[:3],
                              self.extra_depthwise)
        self.layers.append(
            ConvModule(
                channels[2],
                channels[3],
                kernel_size=1,
                conv_cfg=conv_cfg,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg))
        self._finish_init(('stage2', 'stage3', 'stage4', 'conv5'), channels)


@register_model
class ShuffleNetV2Star(ShuffleNetV2):
    """ShuffleNet V2* backbone: V2 with one more 3x3 depthwise conv per unit.

    The V2 paper (Sec. 4, detection) adds "an additional 3x3 depthwise convolution
    before the first pointwise convolution in each building block" to enlarge the
    receptive field. It says nothing more; the choices made here (see
    :class:`ShuffleV2Unit`): the extra conv is followed by BN and no activation,
    like every depthwise conv of the network; in a basic unit it starts
    ``branch2``; in a downsampling unit it sits in ``branch1`` between the stride-2
    depthwise conv and the 1x1 conv, where it costs a quarter as much. FLOPs are
    1-4% above V2's (4% at 0.5x, 1% at 2x).

    Arguments, outputs and widths are those of :class:`ShuffleNetV2`. No ImageNet
    weights exist for V2*: pretrain it with mmpretrain, writing
    ``type='shufflenet_backbones.ShuffleNetV2Star'``. Keys differ from V2 only
    inside the branch that holds the extra conv (its later modules shift by one).

    Example:
        >>> import torch
        >>> from shufflenet_backbones.models import ShuffleNetV2Star
        >>> model = ShuffleNetV2Star(out_indices=(1, 2)).eval()
        >>> print([tuple(o.shape) for o in model(torch.rand(1, 3, 224, 224))])
        [(1, 232, 14, 14), (1, 464, 7, 7)]
    """

    extra_depthwise = True
