"""SNet, the backbones of ThunderNet (Qin et al., ICCV 2019)."""
from typing import List, NamedTuple, Optional, Sequence, Tuple, Union

from mmcv.cnn import ConvModule

from ...registry import register_model
from .base_shufflenet import BaseShuffleNet


class SNetArch(NamedTuple):
    """The widths of one SNet."""
    stem: int
    stages: Tuple[int, int, int]  # output channels of stages 2, 3, 4
    conv5: Optional[int]  # output channels of the 1x1 conv5; None: no conv5


@register_model
class SNet(BaseShuffleNet):
    """SNet backbone of ThunderNet: ShuffleNet V2 with 5x5 depthwise convs.

    Stem (3x3 conv, stride 2 + 3x3 max-pool, stride 2) and three stages of
    4 / 8 / 4 :class:`ShuffleV2Unit` s (the first of each downsamples) in which
    every depthwise conv is 5x5. SNet49 ends with a 1x1 "conv5" (512 channels);
    SNet146 and SNet535 end with stage 4. Widths are the ThunderNet paper's
    (``arch_settings``). Units, module and state-dict names are those of
    :class:`ShuffleNetV2` (torchvision / mmpretrain unit layout). The official
    ThunderNet code uses Megvii's layout, where the first unit of stage 2 keeps
    the stem's 24 channels in its shortcut branch; its weights do not load as
    they are.

    For ThunderNet's Context Enhancement Module, C4 is stage 3 (``out_indices``
    1, stride 16) and C5 the last output (stride 32): conv5 (index 3) for SNet49,
    stage 4 (index 2) for SNet146 and SNet535. So ``out_indices=(1, 3)`` for
    SNet49 and ``(1, 2)`` for the others.

    FLOPs: the number in the name is the paper's MFLOPs. Counted as the
    ShuffleNet papers count (multiply-adds of the convolutions and of a
    1000-class FC at 224x224,
    :func:`~shufflenet_backbones.toolkit.analysis.complexity.classifier_multiply_adds`)
    these widths give 51.2 / 161.1 / 535.4 MFLOPs (0.88 / 1.57 / 4.54 M
    parameters with that FC): SNet535 matches its name, SNet49 is 4.5% and
    SNet146 10% above it. Megvii's layout, that of the official code (and the
    one that gives the V2 paper's 41 / 146 / 299 / 591 to within 0.5), counts
    51.2 / 162.5 / 539.9. No layout tried reproduces all three names: neither
    leaving out the FC, the stem or the depthwise convs, nor 3x3 depthwise
    convs, a conv5 on SNet146 / 535 or 3 / 7 / 3 units. Both the paper's figure
    and ours are in ``tools/analysis/get_flops.py``'s table.

    Args:
        arch (int): 49, 146 or 535. Default: 146.
        out_indices (Sequence[int], optional): Feature maps to output: -1 stem
            (stride 4), 0 / 1 / 2 stages 2 / 3 / 4 (strides 8 / 16 / 32), 3 conv5
            (stride 32, SNet49 only). None: the last one, (3, ) for SNet49 and
            (2, ) for the others. Default: None.
        frozen_stages (int): -1 freezes nothing, 0 the stem, k the stem and
            ``layers[:k]`` (parameters and BN statistics); the largest, 4 for
            SNet49 and 3 for the others, freezes the whole backbone. Default: -1.
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
            returned contiguous); False: NCHW throughout; 'auto': channels-last
            for CPU inputs, NCHW on other devices (see :class:`ShuffleNetV2`).
            Default: 'auto'.
        init_cfg (dict | list[dict], optional): mmengine init config, e.g.
            ``dict(type='Pretrained', checkpoint='...', prefix='backbone.')``.
            None: the ShuffleNet papers' initialisation. Default: None.

    Example:
        >>> import torch
        >>> from shufflenet_backbones.models import SNet
        >>> model = SNet(arch=49, out_indices=(-1, 0, 1, 2, 3)).eval()
        >>> for out, info in zip(model(torch.rand(1, 3, 320, 320)),
        ...                      model.feature_info):
        ...     print(info.name, info.stride, tuple(out.shape))
        stem 4 (1, 24, 80, 80)
        stage2 8 (1, 60, 40, 40)
        stage3 16 (1, 120, 20, 20)
        stage4 32 (1, 240, 10, 10)
        conv5 32 (1, 512, 10, 10)
        >>> c4, c5 = SNet(arch=146, out_indices=(1, 2)).out_channels
        >>> print(c4, c5)
        264 528
    """

    # arch -> widths (ThunderNet paper, Table 1)
    arch_settings = {
        49: SNetArch(24, (60, 120, 240), 512),
        146: SNetArch(24, (132, 264, 528), None),
        535: SNetArch(48, (248, 496, 992), None),
    }
    stage_blocks = (4, 8, 4)
    dw_kernel_size = 5

    def __init__(self,
                 arch: int = 146,
                 out_indices: Optional[Sequence[int]] = None,
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
        if isinstance(arch, bool) or not isinstance(arch, int) \
                or arch not in self.arch_settings:
            raise ValueError(f'SNet: arch must be one of {tuple(self.arch_settings)}, '
                             f'got {arch!r}')
        setting = self.arch_settings[arch]
        last = 2 if setting.conv5 is None else 3
        out_indices = (last, ) if out_indices is None else tuple(out_indices)
        if setting.conv5 is None and 3 in out_indices:
            raise ValueError(
                f'SNet: out_indices cannot hold 3 (conv5) with arch={arch}, which '
                f'has no conv5 (only SNet49 has one); its last output, stage 4, is '
                f'index 2. Got out_indices={out_indices}')
        super().__init__(out_indices, frozen_stages, strides, dilations, conv_cfg,
                         norm_cfg, act_cfg, norm_eval, with_cp, channels_last,
                         init_cfg)
        self.arch = arch

        self._build_stem(setting.stem)
        self._build_v2_stages(setting.stem, setting.stages,
                              dw_kernel_size=self.dw_kernel_size)
        names, channels = ['stage2', 'stage3', 'stage4'], list(setting.stages)
        if setting.conv5 is not None:
            self.layers.append(
                ConvModule(
                    setting.stages[-1],
                    setting.conv5,
                    kernel_size=1,
                    conv_cfg=conv_cfg,
                    norm_cfg=norm_cfg,
                    act_cfg=act_cfg))
            names.append('conv5')
            channels.append(setting.conv5)
        self._finish_init(names, channels)
