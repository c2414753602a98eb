"""Local visualizers that draw small images large enough to read.

mmdet's ``DetLocalVisualizer`` and mmseg's ``SegLocalVisualizer`` draw on the image
at its own size: on the 128x128 images of the demos a label is a few pixels high.
The subclasses here first scale the image up to ``min_size`` pixels on its long side,
and every box, mask and label map of the data sample with it, then draw as their
parents do. Images at least that large are drawn unchanged, and nothing the model
sees changes: only the picture.

Configs name them like their parents (the package registers them in mmdet's and
mmseg's ``VISUALIZERS``)::

    visualizer = dict(type='UpscaledDetLocalVisualizer', min_size=512)
"""
from typing import List, Optional, Tuple, Union

import mmcv
import numpy as np
import torch
from mmdet.registry import VISUALIZERS as DET_VISUALIZERS
from mmdet.structures.bbox import scale_boxes
from mmdet.structures.mask import BitmapMasks, PolygonMasks
from mmdet.visualization import DetLocalVisualizer
from mmengine.dist import master_only
from mmengine.structures import BaseDataElement, InstanceData, PixelData
from mmseg.registry import VISUALIZERS as SEG_VISUALIZERS
from mmseg.visualization import SegLocalVisualizer

__all__ = [
    'UpscaledDetLocalVisualizer', 'UpscaledSegLocalVisualizer', 'upscale_sample'
]

ArrayLike = Union[np.ndarray, torch.Tensor]


def upscale_factor(height: int, width: int, min_size: int) -> float:
    """The factor that brings the long side of a ``height`` x ``width`` image to
    ``min_size`` pixels; 1.0 when it is that long already (never shrinks)."""
    return max(1.0, min_size / max(height, width))


def _rescale_maps(data: ArrayLike, scale: float) -> ArrayLike:
    """Rescale a stack of maps (N, H, W) -- label maps or binary masks, tensor or
    array -- by ``scale`` with nearest-neighbour interpolation (labels stay labels).
    Returns the type and dtype it was given."""
    is_tensor = isinstance(data, torch.Tensor)
    array = data.detach().cpu().numpy() if is_tensor else np.asarray(data)
    dtype = array.dtype
    # cv2 resizes neither bool nor 64-bit integers; labels and instance ids fit int32
    if dtype == np.bool_:
        array = array.astype(np.uint8)
    elif np.issubdtype(dtype, np.integer) and dtype.itemsize == 8:
        array = array.astype(np.int32)
    new_w, new_h = mmcv.rescale_size((array.shape[2], array.shape[1]), scale)
    # one map at a time: cv2 drops a single channel and caps the number of channels
    resized = np.empty((array.shape[0], new_h, new_w), dtype=array.dtype)
    for i, channel in enumerate(array):
        resized[i] = mmcv.imresize(channel, (new_w, new_h), interpolation='nearest')
    resized = resized.astype(dtype)
    return torch.from_numpy(resized).to(data.device) if is_tensor else resized


def _rescale_instances(instances: InstanceData, scale: float,
                       scale_xy: Tuple[float, float]) -> InstanceData:
    """A new ``InstanceData`` with boxes and masks rescaled; the other fields
    (labels, scores, ...) are the same objects, which drawing only reads."""
    rescaled = InstanceData(metainfo=instances.metainfo)
    for key, value in instances.items():
        if key == 'bboxes':
            # scale_boxes rescales box objects in place: a copy keeps the input's
            value = scale_boxes(value.clone(), scale_xy)
        elif key == 'masks':
            if isinstance(value, (BitmapMasks, PolygonMasks)):
                value = value.rescale(scale)  # a new object, nearest for bitmaps
            else:
                value = _rescale_maps(value, scale)
        rescaled.set_field(value, key)
    return rescaled


def upscale_sample(image: np.ndarray, data_sample: Optional[BaseDataElement],
                   min_size: int, interpolation: str = 'bilinear'
                   ) -> Tuple[np.ndarray, Optional[BaseDataElement]]:
    """Scale ``image`` up to ``min_size`` pixels on its long side, and the geometry
    of ``data_sample`` with it.

    Every ``InstanceData`` field of the sample (``gt_instances``,
    ``pred_instances``, ...) gets its ``bboxes`` scaled and its ``masks`` resized
    (nearest); every ``PixelData`` field (``gt_sem_seg``, ``pred_sem_seg``,
    ``gt_panoptic_seg``, ...) is resized with nearest-neighbour interpolation. The
    scale is that of the image, so maps of the image's size end up exactly the
    size of the new image. The metainfo (``img_shape``, ...) is left as it was.

    Args:
        image (np.ndarray): The image to draw on, (H, W, 3).
        data_sample (BaseDataElement, optional): Its annotations / predictions,
            in the image's pixel coordinates. Not modified.
        min_size (int): The long side, in pixels, to scale up to. Images at least
            that long are returned as they are.
        interpolation (str): How the image is resized (``mmcv.imresize``'s
            names). Defaults to 'bilinear'.

    Returns:
        tuple[np.ndarray, BaseDataElement | None]: The image and a new data sample
        (the inputs themselves when nothing is scaled).

    Example:
        >>> import numpy as np, torch
        >>> from mmdet.structures import DetDataSample
        >>> from mmengine.structures import InstanceData
        >>> sample = DetDataSample(gt_instances=InstanceData(
        ...     bboxes=torch.tensor([[8., 16., 32., 64.]]), labels=torch.tensor([0])))
        >>> image, big = upscale_sample(np.zeros((128, 96, 3), np.uint8), sample, 512)
        >>> image.shape, big.gt_instances.bboxes.tolist()
        ((512, 384, 3), [[32.0, 64.0, 128.0, 256.0]])
    """
    height, width = image.shape[:2]
    scale = upscale_factor(height, width, min_size)
    if scale == 1.0:
        return image, data_sample
    new_w, new_h = mmcv.rescale_size((width, height), scale)
    image = mmcv.imresize(image, (new_w, new_h), interpolation=interpolation)
    if data_sample is None:
        return image, None
    # boxes take the scale the image really got (its sides are rounded)
    scale_xy = (new_w / width, new_h / height)
    # A new sample, not an edited copy: the caller's (e.g. the one the evaluator
    # also receives) is never touched, and fields that are not drawn are not copied.
    rescaled = type(data_sample)(metainfo=data_sample.metainfo)
    for key, value in data_sample.items():
        if isinstance(value, InstanceData):
            value = _rescale_instances(value, scale, scale_xy)
        elif isinstance(value, PixelData):
            value = PixelData(
                metainfo=value.metainfo,
                **{k: _rescale_maps(v, scale)
                   for k, v in value.items()})
        setattr(rescaled, key, value)  # through the sample's typed properties
    return image, rescaled


class _UpscaledDrawing:
    """What both visualizers add to their library's: images (and what is drawn on
    them) scaled up to ``min_size`` pixels on the long side before drawing."""

    def _set_upscaling(self, min_size: int, interpolation: str) -> None:
        if min_size < 1:
            raise ValueError(f'min_size must be a positive number of pixels, got '
                             f'{min_size}')
        self.min_size = min_size
        self.interpolation = interpolation

    @master_only
    def add_datasample(self,
                       name: str,
                       image: np.ndarray,
                       data_sample=None,
                       *args,
                       **kwargs) -> None:
        """Scale ``image`` and ``data_sample`` up, then draw and save them as the
        library's ``add_datasample`` does (same arguments)."""
        image, data_sample = upscale_sample(image, data_sample, self.min_size,
                                            self.interpolation)
        super().add_datasample(name, image, data_sample, *args, **kwargs)


@DET_VISUALIZERS.register_module()
class UpscaledDetLocalVisualizer(_UpscaledDrawing, DetLocalVisualizer):
    """mmdet's ``DetLocalVisualizer`` that draws small images scaled up.

    Before drawing, the image is scaled up to ``min_size`` pixels on its long side,
    and the data sample's boxes, masks and label maps with it (see
    :func:`upscale_sample`); the saved picture is that large (twice as wide with
    ground truth and prediction side by side). Labels are drawn at least
    ``min_font_size`` points high: mmdet halves the font of boxes smaller than
    30000 px^2, which at 512 px is most objects of a small image.

    Args:
        name (str): Name of the instance. Defaults to 'visualizer'.
        min_size (int): The long side, in pixels, that images are scaled up to
            before drawing. Defaults to 512.
        min_font_size (int): The smallest font size of labels, in points.
            Defaults to 13 (mmdet's full size).
        interpolation (str): How the image is scaled up (``mmcv.imresize``'s
            names). Defaults to 'bilinear'.
        **kwargs: ``DetLocalVisualizer``'s arguments (``name``, ``vis_backends``,
            ``save_dir``, ``line_width``, ...).

    Example:
        >>> visualizer = dict(type='UpscaledDetLocalVisualizer', min_size=512,
        ...                   vis_backends=[dict(type='LocalVisBackend')],
        ...                   name='visualizer')
    """

    def __init__(self,
                 name: str = 'visualizer',
                 min_size: int = 512,
                 min_font_size: int = 13,
                 interpolation: str = 'bilinear',
                 **kwargs) -> None:
        # ``name`` is spelled out: mmengine's ManagerMeta requires it by name
        super().__init__(name=name, **kwargs)
        self._set_upscaling(min_size, interpolation)
        self.min_font_size = min_font_size

    def draw_texts(self,
                   texts: Union[str, List[str]],
                   positions: ArrayLike,
                   font_sizes: Optional[Union[int, List[int]]] = None,
                   **kwargs):
        """mmengine's ``draw_texts`` with font sizes of at least
        ``min_font_size``."""
        if isinstance(font_sizes, (list, tuple)):
            font_sizes = [max(size, self.min_font_size) for size in font_sizes]
        elif font_sizes is not None:
            font_sizes = max(font_sizes, self.min_font_size)
        return super().draw_texts(texts, positions, font_sizes=font_sizes,
                                  **kwargs)


@SEG_VISUALIZERS.register_module()
class UpscaledSegLocalVisualizer(_UpscaledDrawing, SegLocalVisualizer):
    """mmseg's ``SegLocalVisualizer`` that draws small images scaled up.

    Before drawing, the image is scaled up to ``min_size`` pixels on its long side,
    and the data sample's label maps with it (nearest, see :func:`upscale_sample`).
    mmseg sizes its label text by the image's short side, so the labels grow with
    it.

    Args:
        name (str): Name of the instance. Defaults to 'visualizer'.
        min_size (int): The long side, in pixels, that images are scaled up to
            before drawing. Defaults to 512.
        interpolation (str): How the image is scaled up (``mmcv.imresize``'s
            names). Defaults to 'bilinear'.
        **kwargs: ``SegLocalVisualizer``'s arguments (``name``, ``vis_backends``,
            ``save_dir``, ``alpha``, ...).

    Example:
        >>> visualizer = dict(type='UpscaledSegLocalVisualizer', min_size=512,
        ...                   vis_backends=[dict(type='LocalVisBackend')],
        ...                   name='visualizer')
    """

    def __init__(self,
                 name: str = 'visualizer',
                 min_size: int = 512,
                 interpolation: str = 'bilinear',
                 **kwargs) -> None:
        super().__init__(name=name, **kwargs)
        self._set_upscaling(min_size, interpolation)

    def _get_center_loc(self, mask: np.ndarray) -> np.ndarray:
        """Where mmseg writes a class's label: ``(x, y)`` of the middle pixel of the
        mask's fullest row (the first of equals).

        The same point as mmseg's, found with numpy: mmseg sorts every pixel of
        the mask as a Python list, about a second per 512x512 image, which would
        add a minute to the 50 drawn images of the segmentation demo.
        """
        ys, xs = np.nonzero(mask == 1)  # row-major, as mmseg's sorted list
        rows, counts = np.unique(ys, return_counts=True)
        row = rows[counts.argmax()]
        xs_in_row = xs[ys == row]
        return np.array([xs_in_row[len(xs_in_row) // 2], row])
