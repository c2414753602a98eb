"""An exported file in the place of the PyTorch model, so that mmengine's test loop
(``tools/test.py``, with the config's own evaluator) and the libraries' inferencers
(``tools/deploy/infer.py``) run it unchanged.

The model takes what the config's test pipeline and dataloader produce (a list of
(3, h, w) images and their data samples), lays the images into the exported input
(top-left, as mmengine pads), runs the backend, and returns the data samples with
predictions in original-image pixels, as the PyTorch model's ``predict`` does.
"""
import json
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmdet.models.roi_heads.mask_heads.fcn_mask_head import _do_paste_mask
from mmengine.model import BaseModel
from mmengine.structures import InstanceData, PixelData
from torch import Tensor

from .graph_ops import INVALID_SCORE
from .metadata import (META_CLASSES, META_OUTPUTS, META_TASK, embedded_config,
                       input_shape, read_metadata)
from .runtime import InferenceSession


class BackendModel(BaseModel):
    """Predicts with an ONNX file written by ``tools/deploy/export.py``.

    Args:
        path (str): The ONNX file.
        backend (str): 'onnxruntime' or 'openvino'. Default: 'onnxruntime'.
        threads (int, optional): Runtime threads; None: the runtime's default.
        share_cpu (bool): See :class:`~..runtime.InferenceSession` (benchmarks).
        profile (bool): See :class:`~..runtime.InferenceSession` (benchmarks).

    Attributes:
        task (str): 'detection', 'segmentation' or 'classification'.
        dataset_meta (dict): ``classes`` stored in the file.
        meta (dict): All the metadata the file holds.
        cfg (Config): The config stored in the file.
    """

    def __init__(self, path: str, backend: str = 'onnxruntime',
                 threads: Optional[int] = None, share_cpu: bool = False,
                 profile: bool = False):
        super().__init__()
        meta = read_metadata(path)
        self.path = path
        self.task = meta[META_TASK]
        self.dataset_meta = dict(classes=tuple(json.loads(meta[META_CLASSES])))
        self.meta = meta
        self.cfg = embedded_config(meta)
        self.output_names = json.loads(meta[META_OUTPUTS])  # the session's order
        # detectors with masks: mmdet binarises them at this threshold
        self._mask_thr = (self.cfg.model.get('test_cfg') or {}).get(
            'rcnn', {}).get('mask_thr_binary', 0.5)
        # segmenters: mmseg resizes the logits as the decode head is configured
        self._align_corners = bool((self.cfg.model.get('decode_head') or {}).get(
            'align_corners', False))
        self.batch, self.size = input_shape(meta)  # None: any
        self.session = InferenceSession(path, backend, threads, share_cpu, profile)

    def forward(self, inputs: Sequence[Tensor], data_samples: Optional[list] = None,
                mode: str = 'predict') -> list:
        if mode != 'predict':
            raise ValueError(f'{self.path} can only predict, not {mode!r}')
        results = []
        step = self.batch or len(inputs)
        for start in range(0, len(inputs), step):
            chunk = list(inputs[start:start + step])
            samples = data_samples[start:start + step]
            # a fixed batch size: fill the last chunk with copies of its first image
            filled = chunk + chunk[:1] * (step - len(chunk))
            outputs = dict(zip(self.output_names,
                               self.session.run(self._feed(filled, samples))))
            results.extend(self._predictions(outputs, samples))
        return results

    def _feed(self, images: List[Tensor], samples: list) -> dict:
        paths = [sample.metainfo.get('img_path') for sample in samples]
        return pack_inputs(images, self.task, self.size, paths, self.path)

    def _predictions(self, outputs: Dict[str, np.ndarray], samples: list) -> list:
        for i, sample in enumerate(samples):
            if self.task == 'detection':
                masks = outputs.get('masks')
                sample.pred_instances = _instances(
                    outputs['dets'][i], outputs['labels'][i], sample.metainfo,
                    masks=None if masks is None else masks[i],
                    mask_thr=self._mask_thr)
            elif self.task == 'segmentation':
                logits = _seg_logits(outputs['logits'][i],
                                     outputs['labels'].shape[1:], sample.metainfo,
                                     self._align_corners)
                sample.seg_logits = PixelData(data=logits)
                sample.pred_sem_seg = PixelData(
                    data=logits.argmax(dim=0, keepdim=True))
            else:
                scores = torch.from_numpy(outputs['scores'][i])
                sample.set_pred_score(scores).set_pred_label(scores.argmax())
        return samples


def pack_inputs(images: List[Tensor], task: str, size: Optional[Tuple[int, int]],
                paths: Sequence[Optional[str]], model_path: str) -> dict:
    """The graph inputs for ``images`` (each (3, h, w) from the test pipeline):
    laid top-left into ``size`` (None: the largest of them), and for detectors
    each one's valid size. ValueError, naming the image, when one is larger
    than a fixed ``size``."""
    height, width = size or (max(i.shape[1] for i in images),
                             max(i.shape[2] for i in images))
    batch = np.zeros((len(images), 3, height, width), np.float32)
    for i, image in enumerate(images):
        h, w = image.shape[1:]
        if h > height or w > width:
            raise ValueError(
                f'image {paths[min(i, len(paths) - 1)]} is {h}x{w} after the test '
                f'pipeline, larger than the {height}x{width} input of {model_path}: '
                'export with --shape H W covering it, or with --dynamic')
        batch[i, :, :h, :w] = image.float().numpy()
    feed = dict(images=batch)
    if task == 'detection':
        feed['img_shapes'] = np.array([i.shape[1:] for i in images], np.int64)
    return feed


def _instances(dets: np.ndarray, labels: np.ndarray, metainfo: dict,
               masks: Optional[np.ndarray] = None,
               mask_thr: float = 0.5) -> InstanceData:
    """The filled slots, boxes scaled back to the original image, and masks
    (K, M, M probabilities in the boxes) pasted into it."""
    keep = dets[:, 4] > INVALID_SCORE
    boxes = torch.from_numpy(dets[keep, :4].copy())
    scale_w, scale_h = metainfo.get('scale_factor', (1.0, 1.0))
    boxes[:, 0::2] /= scale_w
    boxes[:, 1::2] /= scale_h
    instances = InstanceData(
        bboxes=boxes, scores=torch.from_numpy(dets[keep, 4].copy()),
        labels=torch.from_numpy(labels[keep].astype(np.int64)))
    if masks is not None:
        instances.masks = _paste_masks(torch.from_numpy(masks[keep].copy()), boxes,
                                       metainfo['ori_shape'][:2], mask_thr)
    return instances


def _paste_masks(masks: Tensor, boxes: Tensor, size: Tuple[int, int],
                 threshold: float) -> Tensor:
    """(K, H, W) image masks, as mmdet's ``FCNMaskHead`` makes them on CPU: each
    (M, M) mask resampled into its box by mmdet's own paste function (one at a
    time, cropped to the box) and binarised at ``threshold`` (below 0: kept as
    probabilities x 255 in uint8, mmdet's debugging output)."""
    height, width = size
    binary = threshold >= 0
    pasted = torch.zeros(len(masks), height, width,
                         dtype=torch.bool if binary else torch.uint8)
    for i in range(len(masks)):
        mask, region = _do_paste_mask(masks[i:i + 1, None], boxes[i:i + 1], height,
                                      width, skip_empty=True)
        pasted[(torch.tensor([i]), ) + region] = \
            mask >= threshold if binary else (mask * 255).to(torch.uint8)
    return pasted


def _seg_logits(logits: np.ndarray, input_size: Tuple[int, int], metainfo: dict,
                align_corners: bool) -> Tensor:
    """(C, H, W) logits of the original image, as mmseg's ``EncoderDecoder``
    computes them: resized (bilinear) to the input, cropped to the image's
    valid area, resized to the original size."""
    logits = F.interpolate(torch.from_numpy(logits)[None], size=tuple(input_size),
                           mode='bilinear', align_corners=align_corners)
    h, w = metainfo.get('img_shape', input_size)[:2]
    logits = logits[..., :h, :w]
    ori_h, ori_w = metainfo.get('ori_shape', (h, w))[:2]
    if (ori_h, ori_w) != (h, w):
        logits = F.interpolate(logits, size=(ori_h, ori_w), mode='bilinear',
                               align_corners=align_corners)
    return logits[0]
