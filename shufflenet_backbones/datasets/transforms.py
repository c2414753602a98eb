"""Data transforms for the segmentation configs.

:class:`CheckSegLabels` stops a run at the first label map with class ids the model
cannot have. Without it, a wrong label map (e.g. COCO-Stuff's raw ids 0-181 instead of
``*_labelTrainIds.png``, or a 10k-style map with 0 as ignore) surfaces as a CUDA
device-side assert or a silently wrong loss, neither of which names the file.
"""
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

__all__ = ['CheckSegLabels']

# How many offending values an error message lists.
_NUM_NAMED = 10


@TRANSFORMS.register_module()
class CheckSegLabels(BaseTransform):
    """Raise if ``gt_seg_map`` has a value outside ``[0, num_classes)`` other than
    ``ignore_index``.

    Put it right after ``LoadAnnotations``, so the values checked are those of the
    file (after ``reduce_zero_label`` / ``label_map``, which LoadAnnotations applies)
    and before any padding or cropping adds ``ignore_index`` pixels.

    Required keys: ``gt_seg_map``, ``seg_map_path`` (named in the error). A
    sample with neither has no label map to check and passes unchanged: that is
    inference (mmseg's ``inference_model`` and ``MMSegInferencer`` drop
    ``LoadAnnotations`` from the test pipeline and keep the other steps). A
    sample with a ``seg_map_path`` but no ``gt_seg_map`` means the step sits
    before ``LoadAnnotations``, and raises.

    Args:
        num_classes (int): Number of classes of the decode head.
        ignore_index (int): Label of pixels left out of the loss and the metric.
            Defaults to 255.

    Raises:
        ValueError: Naming ``seg_map_path`` and the offending values.
    """

    def __init__(self, num_classes: int, ignore_index: int = 255):
        if not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f'CheckSegLabels: num_classes must be a positive int, '
                             f'got {num_classes!r}')
        self.num_classes = num_classes
        self.ignore_index = ignore_index

    def transform(self, results: dict) -> dict:
        if 'gt_seg_map' not in results:
            if results.get('seg_map_path') is None:
                return results  # an image without annotations: inference
            raise KeyError(
                f"CheckSegLabels: no gt_seg_map for '{results['seg_map_path']}': "
                'put CheckSegLabels after LoadAnnotations in the pipeline')
        seg = results['gt_seg_map']
        bad = ((seg < 0) | (seg >= self.num_classes)) & (seg != self.ignore_index)
        if bad.any():
            values = np.unique(seg[bad])
            shown = ', '.join(str(v) for v in values[:_NUM_NAMED].tolist())
            more = (f' and {len(values) - _NUM_NAMED} more'
                    if len(values) > _NUM_NAMED else '')
            raise ValueError(
                f"Label map '{results.get('seg_map_path')}' has values outside "
                f'[0, {self.num_classes}) that are not the ignore index '
                f'{self.ignore_index}: {shown}{more} ({int(bad.sum())} pixels). '
                'Check that the files are train-id maps (for COCO-Stuff164k '
                '*_labelTrainIds.png) and the decode head\'s num_classes.')
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(num_classes={self.num_classes}, '
                f'ignore_index={self.ignore_index})')
