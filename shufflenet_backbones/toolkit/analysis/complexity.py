"""FLOPs as the ShuffleNet papers count them.

The papers report multiply-adds of the convolutions and the final fully-connected
layer only. mmengine's ``FlopAnalyzer`` also counts BN, pooling and other ops (V2
0.5x comes out about 4% above the paper), so this counts the two layer types
directly with forward hooks instead.
"""
from collections import Counter
from contextlib import contextmanager
from typing import Dict, Iterator, Sequence, Tuple, Union

import torch
import torch.nn as nn


def _layer_multiply_adds(module: nn.Module, output: torch.Tensor) -> int:
    """Multiply-adds of one ``Conv2d`` or ``Linear`` call that gave ``output``."""
    if isinstance(module, nn.Conv2d):
        per_output = (module.in_channels // module.groups) * module.kernel_size[0] \
            * module.kernel_size[1]
        return output.numel() * per_output
    return output.numel() * module.in_features


@contextmanager
def _counting(model: nn.Module) -> Iterator[Counter]:
    """Count the multiply-adds of every ``Conv2d`` and ``Linear`` of ``model`` run
    inside the block, by module name, in eval mode and without gradients."""
    counts = Counter()
    handles = []
    for name, m in model.named_modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            def hook(module, inputs, output, name=name):
                counts[name] += _layer_multiply_adds(module, output)
            handles.append(m.register_forward_hook(hook))
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            yield counts
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()


def count_multiply_adds(model: nn.Module, input_shape: Sequence[int]) -> int:
    """Multiply-adds of every ``Conv2d`` and ``Linear`` in ``model`` for one forward
    pass of a zero tensor of ``input_shape`` (N, C, H, W), per image."""
    with _counting(model) as counts:
        model(torch.zeros(*input_shape))
    return sum(counts.values()) // input_shape[0]


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


def detector_multiply_adds(detector: nn.Module,
                           image_size: Union[int, Tuple[int, int]] = 320,
                           num_rois: int = 200, depth: int = 1) -> Dict[str, int]:
    """Test-time multiply-adds of an mmdet two-stage detector on one square image,
    counted as :func:`count_multiply_adds` counts (convs and FCs, by hooks).

    Runs what inference runs, on a zero image of ``image_size`` (no data
    preprocessing, no padding): backbone and neck, the RPN head's convs, then the
    R-CNN (RoI extractor and box head, ``roi_head._bbox_forward``) on ``num_rois``
    RoIs, the number of proposals it gets at test time (``test_cfg.rpn.max_per_img``;
    200 for ThunderNet). Proposal decoding, NMS and RoI pooling have no
    multiply-adds here, as in the papers' counts.

    Args:
        detector (nn.Module): A built ``TwoStageDetector`` whose RoI head is
            mmdet's ``StandardRoIHead`` (Light-Head R-CNN, ThunderNet, Faster
            R-CNN).
        image_size (int | tuple[int, int]): Height and width of the input (one
            number: a square). Default: 320.
        num_rois (int): RoIs the R-CNN runs on. Default: 200.
        depth (int): Levels of module names the counts are grouped by: 1 gives
            ``backbone``, ``neck``, ``rpn_head``, ``roi_head``; 2 splits them,
            e.g. ``neck.cem``, ``neck.rpn_conv``, ``neck.sam``. Default: 1.

    Returns:
        dict[str, int]: Multiply-adds per part, in the order they ran, and
        ``'total'``.

    Example:
        >>> from mmengine.config import Config
        >>> from mmdet.registry import MODELS
        >>> import shufflenet_backbones  # noqa: F401
        >>> cfg = Config.fromfile('configs/det/thundernet_snet146_coco.py')
        >>> cfg.model.backbone.init_cfg = None
        >>> counts = detector_multiply_adds(MODELS.build(cfg.model))
        >>> list(counts)
        ['backbone', 'neck', 'rpn_head', 'roi_head', 'total']
    """
    height, width = ((image_size, image_size) if isinstance(image_size, int) else
                     image_size)
    if min(height, width) < 1 or num_rois < 1 or depth < 1:
        raise ValueError('detector_multiply_adds: image_size, num_rois and depth '
                         f'must be positive, got {image_size}, {num_rois}, {depth}')
    # the whole image as every RoI: RoI pooling costs no multiply-adds, and the
    # R-CNN's cost does not depend on where the RoIs are
    rois = torch.tensor([[0., 0., 0., width - 1., height - 1.]])
    with _counting(detector) as counts:
        feats = detector.extract_feat(torch.zeros(1, 3, height, width))
        detector.rpn_head(feats)
        detector.roi_head._bbox_forward(feats, rois.repeat(num_rois, 1))
    parts = Counter()
    for name, value in counts.items():
        parts['.'.join(name.split('.')[:depth])] += value
    return dict(parts, total=sum(parts.values()))
