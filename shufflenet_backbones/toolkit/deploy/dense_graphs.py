"""Segmenters and classifiers as traceable modules, image in, prediction out.

Exported with dynamic axes (the default of ``tools/deploy/export.py``), their
graphs take any batch size and (segmenters) any image size.
"""
from typing import Tuple

import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from .graph_ops import normalize


class SegmentorGraph(nn.Module):
    """mmseg's ``EncoderDecoder`` in 'whole' test mode.

    Input: images (N, 3, H, W) float, pixels as the test pipeline leaves them.
    Outputs:
        labels (N, H, W) int64: the class of every input pixel, the decode
            head's logits resized (bilinear) to the input, then arg-max.
        logits (N, C, h, w) float: the decode head's logits at its own
            resolution. Where the test pipeline resized the image, mmseg resizes
            the logits to the original size before the arg-max, which a label
            map at input size cannot reproduce; :class:`~.backend_model.
            BackendModel` does it from these (a few MB, where logits at input
            size would be C times the image).
    """

    input_names = ('images', )
    output_names = ('labels', 'logits')

    def __init__(self, segmentor: nn.Module):
        super().__init__()
        mode = segmentor.test_cfg.get('mode', 'whole')
        if mode != 'whole':
            raise ValueError(f"model.test_cfg.mode={mode!r}: only 'whole' "
                             'inference exports (one pass over the image)')
        if segmentor.decode_head.out_channels == 1:
            raise ValueError('model.decode_head.out_channels=1 (a thresholded '
                             'sigmoid): only arg-max heads export')
        self.segmentor = segmentor
        self.eval()

    def forward(self, images: Tensor) -> Tuple[Tensor, Tensor]:
        segmentor = self.segmentor
        x = normalize(images, segmentor.data_preprocessor)
        logits = segmentor.decode_head(segmentor.extract_feat(x))
        full = F.interpolate(logits, size=images.shape[2:], mode='bilinear',
                             align_corners=segmentor.decode_head.align_corners)
        return full.argmax(dim=1), logits


class ClassifierGraph(nn.Module):
    """mmpretrain's ``ImageClassifier``.

    Input: images (N, 3, H, W) float, pixels as the test pipeline leaves them.
    Output: scores (N, num_classes), the softmax of the head's logits.
    """

    input_names = ('images', )
    output_names = ('scores', )

    def __init__(self, classifier: nn.Module):
        super().__init__()
        self.classifier = classifier
        self.eval()

    def forward(self, images: Tensor) -> Tensor:
        classifier = self.classifier
        x = normalize(images, classifier.data_preprocessor)
        logits = classifier.head(classifier.extract_feat(x))
        return F.softmax(logits, dim=1)
