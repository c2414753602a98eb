"""FLOPs as the ShuffleNet papers count them.

The papers report multiply-adds of the convolutions and the final fully-connected
layer only. mmengine's ``FlopAnalyzer`` also counts BN, pooling and other ops (V2
0.5x comes out about 4% above the paper), so this counts the two layer types
directly with forward hooks instead.
"""
from typing import Sequence

import torch
import torch.nn as nn


def count_multiply_adds(model: nn.Module, input_shape: Sequence[int]) -> int:
    """Multiply-adds of every ``Conv2d`` and ``Linear`` in ``model`` for one forward
    pass of a zero tensor of ``input_shape`` (N, C, H, W), per image."""
    total = 0

    def conv_hook(module: nn.Conv2d, inputs, output: torch.Tensor) -> None:
        nonlocal total
        per_output = (module.in_channels // module.groups) * module.kernel_size[0] \
            * module.kernel_size[1]
        total += output.numel() * per_output

    def linear_hook(module: nn.Linear, inputs, output: torch.Tensor) -> None:
        nonlocal total
        total += output.numel() * module.in_features

    handles = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            handles.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            handles.append(m.register_forward_hook(linear_hook))
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(torch.zeros(*input_shape))
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    return total // input_shape[0]


def classifier_multiply_adds(backbone: nn.Module, num_classes: int = 1000,
                             image_size: int = 224) -> int:
    """Paper-style FLOPs of ``backbone`` + global pooling + a ``num_classes`` FC
    fed by the deepest output of the backbone (as in the papers' tables)."""
    fc = backbone.feature_info[-1].channels * num_classes
    return count_multiply_adds(backbone, (1, 3, image_size, image_size)) + fc


def classifier_params(backbone: nn.Module, num_classes: int = 1000) -> int:
    """Parameters of ``backbone`` plus a ``num_classes`` FC with bias."""
    fc = (backbone.feature_info[-1].channels + 1) * num_classes
    return sum(p.numel() for p in backbone.parameters()) + fc
