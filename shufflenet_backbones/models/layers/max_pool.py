import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor


class ChannelsLastMaxPool2d(nn.MaxPool2d):
    """``nn.MaxPool2d`` that pools CPU tensors in channels-last layout.

    PyTorch's CPU max-pool kernel for NCHW tensors is several times slower than
    its channels-last kernel, which vectorises over channels: the stem's 3x3
    max-pool took 21% of ShuffleNetV2 1x's CPU time at 800x1200 (49 ms of 230 ms,
    1 thread). Converting to channels-last, pooling and converting back gives the
    same values and the same gradients (a max has no rounding) in 9 ms instead of
    26 ms at that size with 2 threads (tools/analysis/benchmark_backbone.py
    measures the whole backbone). We keep torch's kernel rather than writing our
    own; only the layout changes. Other devices and channels-last inputs go to
    ``nn.MaxPool2d`` unchanged.

    Shape:
        (N, C, H, W) -> (N, C, H_out, W_out) as ``nn.MaxPool2d``, in the input's
        memory format.
    """

    def forward(self, x: Tensor) -> Tensor:
        if x.device.type != 'cpu' or x.dim() != 4 or x.is_contiguous(
                memory_format=torch.channels_last) or self.return_indices:
            return super().forward(x)
        out = F.max_pool2d(
            x.contiguous(memory_format=torch.channels_last), self.kernel_size,
            self.stride, self.padding, self.dilation, ceil_mode=self.ceil_mode)
        return out.contiguous()
