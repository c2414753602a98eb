"""Segmenters and classifiers as traceable modules, image in, prediction out.

Both are fully convolutional up to their heads, so their graphs take any batch
size and (segmenters) any image size.
"""
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from .graph_ops import normalize


class SegmentorGraph(nn.Module):
    """mmseg's ``EncoderDecoder`` in 'whole' test mode.

    Input: images (N, 3, H, W) float, pixels as the test pipeline leaves them.
    Output: labels (N, H, W) int64, the class of every input pixel: the decode
    head's logits resized (bilinear) to the input, then arg-max, as mmseg
    predicts.
    """

    def __init__(self, segmentor: nn.Module):
        super().__init__()
        mode = segmentor.test_cfg.get('mode', 'whole')
        if mode != 'whole':
            raise ValueError(f"model.test_cfg.mode={mode!r}: only 'whole' "
                             'inference exports (one pass over the image)')
        self.segmentor = segmentor
        self.eval()

    def forward(self, images: Tensor) -> Tensor:
        segmentor = self.segmentor
        x = normalize(images, segmentor.data_preprocessor)
        logits = segmentor.decode_head(segmentor.extract_feat(x))
        logits = F.interpolate(logits, size=images.shape[2:], mode='bilinear',
                               align_corners=segmentor.decode_head.align_corners)
        return logits.argmax(dim=1)


class ClassifierGraph(nn.Module):
    """mmpretrain's ``ImageClassifier``.

    Input: images (N, 3, H, W) float, pixels as the test pipeline leaves them.
    Output: scores (N, num_classes), the softmax of the head's logits.
    """

    def __init__(self, classifier: nn.Module):
        super().__init__()
        self.classifier = classifier
        self.eval()

    def forward(self, images: Tensor) -> Tensor:
        classifier = self.classifier
        x = normalize(images, classifier.data_preprocessor)
        logits = classifier.head(classifier.extract_feat(x))
        return F.softmax(logits, dim=1)
