"""What ShuffleNet V1 and V2 share: the stem, output selection, freezing,
``norm_eval`` and weight initialisation. Each family only builds its stages."""
from typing import List, NamedTuple, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule, fuse_conv_bn
from mmengine.model import BaseModule
from mmengine.model.weight_init import constant_init, initialize, normal_init
from torch import Tensor
from torch.nn.modules.batchnorm import _BatchNorm

from ...checkpoint import loads_checkpoint
from ..layers import ShuffleV2Unit

STEM_INDEX = -1


class FeatureInfo(NamedTuple):
    """One feature map the backbone can output."""
    index: int  # its value in ``out_indices``
    name: str  # 'stem', 'stage2', 'stage3', 'stage4' or 'conv5'
    channels: int
    stride: int  # input pixels per output pixel


class BaseShuffleNet(BaseModule):
    """Common skeleton: stem (3x3 conv stride 2 + 3x3 max-pool stride 2), then
    ``self.layers`` (stages 2-4 and, for V2, conv5) built by the subclass.

    Output indices: -1 the stem (stride 4), 0-2 stages 2-4, 3 conv5 (V2 only).
    Indices 0 and up mean what they mean in mmpretrain. ``frozen_stages = k >= 0``
    freezes the stem and the first k entries of ``self.layers``, up to all of them.
    Layers deeper than the deepest selected output are not kept (a checkpoint's
    weights for them are reported as unexpected keys and ignored).

    Subclasses call :meth:`_build_stem`, fill ``self.layers`` and call
    :meth:`_finish_init` with the stage names and widths.
    """

    def __init__(self,
                 out_indices: Sequence[int],
                 frozen_stages: int,
                 strides: Sequence[int],
                 dilations: Sequence[int],
                 conv_cfg: Optional[dict],
                 norm_cfg: dict,
                 act_cfg: dict,
                 norm_eval: bool,
                 with_cp: bool,
                 channels_last: Union[bool, str],
                 init_cfg: Union[dict, List[dict], None] = None):
        super().__init__(init_cfg)
        name = type(self).__name__
        strides, dilations = tuple(strides), tuple(dilations)
        if len(strides) != 3 or any(s not in (1, 2) for s in strides):
            raise ValueError(f'{name}: strides must be 3 values (stages 2-4), each '
                             f'1 or 2, got {strides}')
        if len(dilations) != 3 or any(
                not isinstance(d, int) or d < 1 for d in dilations):
            raise ValueError(f'{name}: dilations must be 3 integers >= 1 (stages '
                             f'2-4), got {dilations}')
        if not (isinstance(channels_last, bool) or channels_last == 'auto'):
            raise ValueError(f"{name}: channels_last must be True, False or 'auto', "
                             f'got {channels_last!r}')
        for i, (s, d) in enumerate(zip(strides, dilations)):
            if d > 1 and s != 1:
                raise ValueError(
                    f'{name}: dilations[{i}]={d} needs strides[{i}]=1 (a dilated '
                    f'stage replaces its stride), got strides={strides}')
        self.strides = strides
        self.dilations = dilations
        self.out_indices = tuple(out_indices)
        self.frozen_stages = frozen_stages
        self.conv_cfg = conv_cfg
        self.norm_cfg = norm_cfg
        self.act_cfg = act_cfg
        self.norm_eval = norm_eval
        self.with_cp = with_cp
        self.channels_last = channels_last
        self.deploy = False

    def _build_stem(self, channels: int) -> None:
        self.stem_channels = channels
        self.conv1 = ConvModule(
            3,
            channels,
            kernel_size=3,
            stride=2,
            padding=1,
            conv_cfg=self.conv_cfg,
            norm_cfg=self.norm_cfg,
            act_cfg=self.act_cfg)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)

    def _build_v2_stages(self, in_channels: int, channels: Sequence[int],
                         extra_depthwise: bool = False,
                         dw_kernel_size: int = 3) -> None:
        """Stages 2-4 of :class:`ShuffleV2Unit` s (``self.stage_blocks`` units,
        the first of each with the stage's stride) into ``self.layers``."""
        self.layers = nn.ModuleList()
        for i, (out_channels, num_units) in enumerate(
                zip(channels, self.stage_blocks)):
            self.layers.append(nn.Sequential(*[
                ShuffleV2Unit(
                    in_channels if j == 0 else out_channels,
                    out_channels,
                    stride=self.strides[i] if j == 0 else 1,
                    dilation=self.dilations[i],
                    extra_depthwise=extra_depthwise,
                    dw_kernel_size=dw_kernel_size,
                    conv_cfg=self.conv_cfg,
                    norm_cfg=self.norm_cfg,
                    act_cfg=self.act_cfg,
                    with_cp=self.with_cp) for j in range(num_units)
            ]))
            in_channels = out_channels

    def _finish_init(self, names: Sequence[str], channels: Sequence[int]) -> None:
        """Check out_indices / frozen_stages against what was built and describe
        every feature map."""
        name = type(self).__name__
        assert len(names) == len(channels) == len(self.layers)
        stage_strides = [4]
        for s in self.strides:
            stage_strides.append(stage_strides[-1] * s)
        stage_strides += [stage_strides[-1]] * (len(names) - 3)  # conv5
        self.all_features = [FeatureInfo(STEM_INDEX, 'stem', self.stem_channels, 4)]
        self.all_features += [
            FeatureInfo(i, n, c, s)
            for i, (n, c, s) in enumerate(zip(names, channels, stage_strides[1:]))
        ]
        allowed = [f.index for f in self.all_features]
        if not self.out_indices or any(i not in allowed for i in self.out_indices):
            meanings = ', '.join(f'{f.index}={f.name}' for f in self.all_features)
            raise ValueError(f'{name}: out_indices must be a non-empty subset of '
                             f'{allowed} ({meanings}), got {self.out_indices}')
        if len(set(self.out_indices)) != len(self.out_indices):
            raise ValueError(f'{name}: out_indices has duplicates: {self.out_indices}')
        # Up to len(self.layers): the whole backbone can be frozen (a fixed feature
        # extractor, as mmpretrain's linear-probe configs freeze ResNet with
        # frozen_stages=4). mmpretrain's ShuffleNets stop one short of that; every
        # value they accept freezes the same parameters here.
        if self.frozen_stages not in range(-1, len(self.layers) + 1):
            raise ValueError(f'{name}: frozen_stages must be in '
                             f'{list(range(-1, len(self.layers) + 1))} (-1: none, '
                             f'0: stem, k: stem and the first k stages), got '
                             f'{self.frozen_stages}')
        # Layers deeper than the deepest output are dropped: they would cost compute
        # and leave parameters without gradients (which DDP rejects).
        del self.layers[max(self.out_indices) + 1:]
        # Outputs come in depth order whatever the order of out_indices.
        self.feature_info: List[FeatureInfo] = [
            f for f in self.all_features if f.index in self.out_indices
        ]
        self.out_channels: Tuple[int, ...] = tuple(f.channels
                                                   for f in self.feature_info)
        self.out_strides: Tuple[int, ...] = tuple(f.stride for f in self.feature_info)
        self._freeze_stages()

    def _freeze_stages(self) -> None:
        frozen = ([self.conv1] if self.frozen_stages >= 0 else []) + list(
            self.layers[:max(self.frozen_stages, 0)])  # those that were kept
        for module in frozen:
            module.eval()  # also keeps BN running statistics fixed
            for param in module.parameters():
                param.requires_grad = False

    def switch_to_deploy(self) -> None:
        """Fold every BN into the conv before it, for inference (mmcv's
        ``fuse_conv_bn``; the BN becomes ``nn.Identity``).

        Call it after loading the weights. The folded backbone computes the same
        function with one pass less per conv; in float32 its outputs differ from
        the unfolded ones by rounding only, about as much as float32 itself
        differs from float64 (measured: 3e-5 of the peak of conv5's map). It stays
        in eval mode: there are no batch statistics left to train.
        """
        if self.deploy:
            return
        if any(isinstance(m, nn.GroupNorm) for m in self.modules()):
            raise ValueError(f'{type(self).__name__}.switch_to_deploy: only BN can '
                             'be folded into convs, this backbone has GroupNorm '
                             f'(norm_cfg={self.norm_cfg})')
        fuse_conv_bn(self)
        self.deploy = True
        self.eval()

    def train(self, mode: bool = True) -> 'BaseShuffleNet':
        if mode and self.deploy:
            raise RuntimeError(
                f'{type(self).__name__} was switched to deploy mode (BN folded '
                'into convs by switch_to_deploy()) and cannot be trained; build '
                'it again from its config and weights to train it.')
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):  # BN, SyncBN, ...
                    m.eval()
        return self

    def init_weights(self) -> None:
        """With ``init_cfg=None``: the ShuffleNet papers' init (as mmpretrain).
        Otherwise exactly ``init_cfg``, applied by mmengine; a ``Pretrained`` or
        ``PretrainedV2`` entry, alone or in a list, is loaded last and never
        overwritten."""
        entries = self.init_cfg if isinstance(self.init_cfg, list) else [
            self.init_cfg
        ]
        from_file = [c for c in entries if loads_checkpoint(c)]
        if from_file and not self.is_init:
            # mmengine holds back only its own 'Pretrained' until the children have
            # initialised themselves (conv1's ConvModule resets its weights then):
            # an entry that loads_checkpoint (PretrainedV2) must wait as well.
            init_cfg = self.init_cfg
            self.init_cfg = [c for c in entries if not loads_checkpoint(c)]
            try:
                super().init_weights()
            finally:
                self.init_cfg = init_cfg
            initialize(self, from_file)
            return
        super().init_weights()
        if self.init_cfg is not None:
            return
        for name, m in self.named_modules():
            if isinstance(m, nn.Conv2d):
                std = 0.01 if name.startswith('conv1') else 1.0 / m.weight.shape[1]
                normal_init(m, mean=0, std=std)
            elif isinstance(m, (_BatchNorm, nn.GroupNorm)):
                constant_init(m, val=1, bias=0.0001)
                if isinstance(m, _BatchNorm) and m.running_mean is not None:
                    nn.init.zeros_(m.running_mean)

    def runs_channels_last(self, x: Tensor) -> bool:
        """Whether the layers run channels-last for this input: always with
        ``channels_last=True``, never with False, on CPU tensors with 'auto'."""
        if self.channels_last == 'auto':
            return x.device.type == 'cpu'
        return self.channels_last

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        # Outputs come back in the input's layout, so necks and heads get what
        # they expect; the convolutions follow the layout of their input, and the
        # weights need not change.
        convert = self.runs_channels_last(x) and not x.is_contiguous(
            memory_format=torch.channels_last)
        if convert:
            x = x.contiguous(memory_format=torch.channels_last)
        outs = []
        x = self.maxpool(self.conv1(x))
        if STEM_INDEX in self.out_indices:
            outs.append(x)
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i in self.out_indices:
                outs.append(x)
        if convert:
            return tuple(out.contiguous() for out in outs)
        return tuple(outs)
