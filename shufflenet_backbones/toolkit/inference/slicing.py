"""Sliced inference for images much larger than the detector's input (``--slice H W``
of ``tools/infer.py``, ``tools/test.py`` and ``tools/deploy/infer.py``), with SAHI.

The image is cut into tiles of ``H x W`` pixels that overlap by ``--overlap`` of a
tile (SAHI's ``slice_image``; the last row and column are moved back inside the
image), each tile goes through the config's test pipeline and the detector as an
image of its own, its boxes are shifted by the tile's corner into the original
image's pixels, and all of them are merged by class-wise NMS (SAHI's ``NMS`` with
``IOU``; SAHI's default, greedy non-maximum *merging*, would replace boxes by their
unions). The merge IoU is the detector's own final one
(``model.test_cfg.rcnn.nms.iou_threshold``, for one-stage detectors
``model.test_cfg.nms.iou_threshold``), else 0.5. Unless turned off, the whole image
is also predicted once, as SAHI does by default (``perform_standard_pred``), and
merged with the tiles: it finds the objects larger than a tile, which the tiles
only see in parts. Only boxes are merged: a mask head's masks are dropped.

Three ways in, one :class:`SlicedPredictor` (an image to merged
``InstanceData``):

- :class:`SlicingInferencerMixin`: mmdet's ``DetInferencer`` (for a checkpoint or
  an exported file) predicting each image by its tiles; drawing and the JSON files
  are the inferencer's own;
- :class:`SlicedTestHook`: ``tools/test.py --slice``; when testing starts it puts
  :class:`SlicedDetector` in the place of the Runner's model, so mmengine's test
  loop and the config's evaluator run unchanged;
- :class:`TileDetectionModel`: the SAHI ``DetectionModel`` under both, a function
  from a tile to its predictions.
"""
import copy
import logging
import math
from dataclasses import dataclass, replace
from typing import Callable, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.registry import TRANSFORMS, DefaultScope
from mmengine.structures import InstanceData
from sahi.models.base import DetectionModel
from sahi.predict import get_sliced_prediction
from sahi.prediction import ObjectPrediction
from sahi.utils.compatibility import fix_full_shape_list, fix_shift_amount_list

from ..errors import CLIError
from .pipelines import image_only_pipeline

__all__ = ['DEFAULT_OVERLAP', 'DEFAULT_IOU_THR', 'SliceSettings',
           'merge_iou_threshold', 'image_reader', 'tile_predictor',
           'TileDetectionModel', 'SlicedPredictor', 'SlicingInferencerMixin',
           'SlicedDetector', 'SlicedTestHook']

DEFAULT_OVERLAP = 0.2  # SAHI's
DEFAULT_IOU_THR = 0.5  # SAHI's, and mmdet's R-CNN test NMS
# the loading steps a test pipeline may start with (InferencerLoader: after
# DetInferencer has edited the pipeline; SafeLoadImageFromFile: older configs)
LOADERS = ('LoadImageFromFile', 'SafeLoadImageFromFile', 'InferencerLoader')
# SafeLoadImageFromFile's own arguments, which the plain loaders do not take
SAFE_LOADER_ONLY = ('on_bad', 'check_size', 'max_bad_in_row')

ImageType = Union[str, np.ndarray]
TilePredict = Callable[[np.ndarray], InstanceData]


@dataclass(frozen=True)
class SliceSettings:
    """How images are sliced and the tiles' predictions merged.

    Args:
        height (int): Tile height in pixels.
        width (int): Tile width in pixels.
        overlap (float): Overlap of neighbouring tiles, as a share of the tile
            side, in [0, 1). Defaults to 0.2.
        whole_image (bool): Also predict the whole image once and merge it with
            the tiles (SAHI's ``perform_standard_pred``); only done when an image
            needs more than one tile. Defaults to True.
        iou_thr (float, optional): IoU above which NMS drops the lower-scoring of
            two boxes of a class; None: :func:`merge_iou_threshold` of the model's
            config. Defaults to None.
    """

    height: int
    width: int
    overlap: float = DEFAULT_OVERLAP
    whole_image: bool = True
    iou_thr: Optional[float] = None

    @classmethod
    def from_options(cls,
                     size: Optional[Sequence[int]],
                     overlap: Optional[float] = None,
                     whole_image: Optional[bool] = None
                     ) -> Optional['SliceSettings']:
        """The settings of the options ``--slice H W``, ``--overlap R`` and
        ``--[no-]whole-image`` (None: not given); None without ``--slice``.

        Raises:
            CLIError: naming the option, for a tile side that is not a positive
                whole number, an overlap outside [0, 1), or ``--overlap`` /
                ``--[no-]whole-image`` without ``--slice``.
        """
        if size is None:
            for given, option in ((overlap, '--overlap'),
                                  (whole_image, '--whole-image/--no-whole-image')):
                if given is not None:
                    raise CLIError(f'{option} applies to sliced inference: give '
                                   '--slice H W as well')
            return None
        if len(size) != 2 or not all(
                math.isfinite(side) and side >= 1 and int(side) == side
                for side in size):
            given = ' '.join(f'{side:g}' for side in size)
            raise CLIError('--slice takes the tile height and width in pixels, two '
                           f'positive whole numbers, got {given}')
        overlap = DEFAULT_OVERLAP if overlap is None else overlap
        if not 0 <= overlap < 1:
            raise CLIError('--overlap is the share of a tile that neighbouring '
                           f'tiles overlap by, in [0, 1), got {overlap}')
        return cls(int(size[0]), int(size[1]), float(overlap),
                   True if whole_image is None else bool(whole_image))

    def describe(self) -> str:
        """One line for logs."""
        iou = 'the config\'s' if self.iou_thr is None else f'{self.iou_thr:g}'
        return (f'{self.height}x{self.width} tiles, overlap {self.overlap:g}, '
                f'whole-image pass {"on" if self.whole_image else "off"}, '
                f'NMS IoU {iou}')


def merge_iou_threshold(cfg: Config) -> float:
    """The IoU threshold of the detector's final NMS: ``model.test_cfg.rcnn.nms``
    (two-stage detectors) or ``model.test_cfg.nms`` (one-stage), else
    :data:`DEFAULT_IOU_THR`. Merging the tiles with the detector's own threshold
    keeps what it would keep had it seen the image at once."""
    test_cfg = cfg.get('model', {}).get('test_cfg') or {}
    for stage in (test_cfg.get('rcnn') or {}, test_cfg):
        iou = (stage.get('nms') or {}).get('iou_threshold')
        if iou is not None:
            return float(iou)
    return DEFAULT_IOU_THR


def _split_pipeline(pipeline: Sequence[dict]) -> Tuple[dict, List[dict]]:
    """The loading step's arguments (without its type) and the steps after it,
    without those that read annotations."""
    steps = image_only_pipeline(copy.deepcopy(list(pipeline)))
    for index, step in enumerate(steps):
        if step['type'].split('.')[-1] in LOADERS:
            args = {k: v for k, v in step.items()
                    if k != 'type' and k not in SAFE_LOADER_ONLY}
            return args, steps[index + 1:]
    raise ValueError('the test pipeline has no LoadImageFromFile step, which '
                     f'sliced inference replaces for tiles: {steps}')


def _build_in_mmdet_scope(build: Callable):
    # bare names (Resize, PackDetInputs) must be mmdet's, not mmcv's namesakes
    with DefaultScope.overwrite_default_scope('mmdet'):
        return build()


def image_reader(pipeline: Sequence[dict]) -> Callable[[str], np.ndarray]:
    """A function reading an image file as the pipeline's loading step does (BGR,
    its colour type and file backend)."""
    args, _ = _split_pipeline(pipeline)
    loader = _build_in_mmdet_scope(
        lambda: TRANSFORMS.build(dict(type='LoadImageFromFile', **args)))

    def read(path: str) -> np.ndarray:
        results = loader(dict(img_path=path))
        if results is None:  # ignore_empty=True and the file is missing
            raise FileNotFoundError(f'cannot read image {path}')
        return results['img']

    return read


def tile_predictor(model: torch.nn.Module, pipeline: Sequence[dict]) -> TilePredict:
    """A function from a tile (a BGR array) to the model's predictions of it in
    the tile's pixels: the test pipeline after its loading step (resize, pack)
    and ``model.test_step``, as the inferencers run whole images.

    Args:
        model (nn.Module): A detector, or a
            :class:`~shufflenet_backbones.toolkit.deploy.backend_model.BackendModel`
            (anything with mmengine's ``test_step``); a model wrapper's module
            is used.
        pipeline (Sequence[dict]): The config's test pipeline.
    """
    if is_model_wrapper(model):
        model = model.module
    args, rest = _split_pipeline(pipeline)
    # InferencerLoader takes an array (LoadImageFromNDArray) with the same args
    steps = [dict(type='mmdet.InferencerLoader', **args), *rest]
    tile_pipeline = _build_in_mmdet_scope(lambda: Compose(steps))

    def predict(tile: np.ndarray) -> InstanceData:
        data = pseudo_collate([tile_pipeline(tile)])
        with torch.no_grad():
            sample = model.test_step(data)[0]
        pred = sample.pred_instances
        return InstanceData(bboxes=pred.bboxes.detach().float().cpu(),
                            scores=pred.scores.detach().float().cpu(),
                            labels=pred.labels.detach().long().cpu())

    return predict


class TileDetectionModel(DetectionModel):
    """SAHI's ``DetectionModel`` around a function from a tile to predictions.

    SAHI's own mmdet model wants a config file, its ``DetInferencerWrapper`` and a
    Resize step; here any model with ``test_step`` (a checkpoint's detector, an
    exported file) runs through :func:`tile_predictor`.

    Args:
        predict (Callable): A BGR array (H, W, 3) to ``InstanceData`` with
            ``bboxes`` (x1, y1, x2, y2 in its pixels), ``scores`` and ``labels``
            (0-based).
        classes (Sequence[str]): Class names, for SAHI's categories. Defaults to
            ().
    """

    def __init__(self, predict: TilePredict, classes: Sequence[str] = ()):
        self.predict = predict
        # every box the detector returns (it applied its own score_thr already)
        super().__init__(model=predict, device='cpu', confidence_threshold=0.0,
                         category_mapping={str(i): name
                                           for i, name in enumerate(classes)})

    def load_model(self) -> None:  # the model comes in built
        raise NotImplementedError('TileDetectionModel takes the model as `model=`')

    def set_model(self, model, **kwargs) -> None:
        self.model = model

    def perform_inference(self, image: np.ndarray) -> None:
        # SAHI hands RGB arrays (it reads files as RGB); mmdet's loaders give BGR
        if image.ndim == 3 and image.shape[2] == 3:
            image = image[:, :, ::-1]
        self._original_predictions = [self.predict(np.ascontiguousarray(image))]

    def _create_object_prediction_list_from_original_predictions(
            self, shift_amount_list=[[0, 0]], full_shape_list=None) -> None:
        shifts = fix_shift_amount_list(shift_amount_list)
        shapes = fix_full_shape_list(full_shape_list)
        per_image = []
        for i, pred in enumerate(self._original_predictions):
            per_image.append([
                ObjectPrediction(
                    bbox=box, category_id=int(label),
                    category_name=self.category_mapping.get(str(label)),
                    score=score, shift_amount=shifts[i],
                    full_shape=None if shapes is None else shapes[i])
                for box, score, label in zip(
                    # SAHI's boxes refuse negative corners; boxes are in the tile
                    pred.bboxes.clamp(min=0).tolist(), pred.scores.tolist(),
                    pred.labels.tolist())
                if score >= self.confidence_threshold
            ])
        self._object_prediction_list_per_image = per_image


def _instances(predictions: Sequence[ObjectPrediction]) -> InstanceData:
    """SAHI's merged predictions as mmdet's ``pred_instances``."""
    return InstanceData(
        bboxes=torch.tensor([p.bbox.to_xyxy() for p in predictions],
                            dtype=torch.float32).reshape(-1, 4),
        scores=torch.tensor([p.score.value for p in predictions],
                            dtype=torch.float32),
        labels=torch.tensor([p.category.id for p in predictions],
                            dtype=torch.long))


class SlicedPredictor:
    """An image to the merged predictions of its tiles (see the module).

    Args:
        predict (Callable): A tile (BGR array) to its ``InstanceData``
            (:func:`tile_predictor`).
        settings (SliceSettings): Tiles and merging; ``iou_thr`` None is
            :data:`DEFAULT_IOU_THR` here (:meth:`for_model` reads the config's).
        classes (Sequence[str]): Class names. Defaults to ().
        read (Callable, optional): An image file to a BGR array; None: mmcv's
            ``imread``. Defaults to None.

    Example:
        >>> import torch
        >>> from mmengine.structures import InstanceData
        >>> def one_box(tile):  # a box at the same place in every tile
        ...     return InstanceData(bboxes=torch.tensor([[10., 10., 30., 30.]]),
        ...                         scores=torch.tensor([0.9]),
        ...                         labels=torch.tensor([0]))
        >>> predictor = SlicedPredictor(one_box, SliceSettings(64, 64, 0.0))
        >>> predictor(np.zeros((128, 128, 3), np.uint8)).bboxes.shape
        torch.Size([4, 4])
    """

    def __init__(self,
                 predict: TilePredict,
                 settings: SliceSettings,
                 classes: Sequence[str] = (),
                 read: Optional[Callable[[str], np.ndarray]] = None):
        if settings.iou_thr is None:
            settings = replace(settings, iou_thr=DEFAULT_IOU_THR)
        self.settings = settings
        self.detection_model = TileDetectionModel(predict, classes)
        if read is None:
            import mmcv
            read = mmcv.imread
        self.read = read

    @classmethod
    def for_model(cls, model: torch.nn.Module, cfg: Config,
                  settings: SliceSettings) -> 'SlicedPredictor':
        """The predictor of ``model`` (a detector or an exported file) with the
        test pipeline of ``cfg``; the merge IoU from ``cfg`` unless ``settings``
        give one."""
        if settings.iou_thr is None:
            settings = replace(settings, iou_thr=merge_iou_threshold(cfg))
        inner = model.module if is_model_wrapper(model) else model
        classes = (getattr(inner, 'dataset_meta', None) or {}).get('classes') or ()
        pipeline = cfg.test_dataloader.dataset.pipeline
        return cls(tile_predictor(model, pipeline), settings, classes,
                   image_reader(pipeline))

    def __call__(self, image: ImageType) -> InstanceData:
        """The merged predictions of ``image`` (a file, or a BGR array), in its
        pixels: ``bboxes`` (x1, y1, x2, y2), ``scores``, ``labels``, by score."""
        bgr = self.read(image) if isinstance(image, str) else image
        rgb = bgr[:, :, ::-1] if bgr.ndim == 3 and bgr.shape[2] == 3 else bgr
        settings = self.settings
        result = get_sliced_prediction(
            np.ascontiguousarray(rgb),
            self.detection_model,
            slice_height=settings.height,
            slice_width=settings.width,
            overlap_height_ratio=settings.overlap,
            overlap_width_ratio=settings.overlap,
            perform_standard_pred=settings.whole_image,
            postprocess_type='NMS',
            postprocess_match_metric='IOU',
            postprocess_match_threshold=settings.iou_thr,
            postprocess_class_agnostic=False,  # mmdet's test NMS is class-wise
            verbose=0,
            auto_slice_resolution=False,
            # SAHI would switch the postprocess for confidence thresholds < 0.1
            force_postprocess_type=True)
        return _instances(result.object_prediction_list)

    def predict_sample(self, image: ImageType) -> DetDataSample:
        """:meth:`__call__` as a ``DetDataSample``, with the metainfo the
        inferencers' drawing and JSON writing read."""
        bgr = self.read(image) if isinstance(image, str) else image
        metainfo = dict(ori_shape=bgr.shape[:2], img_shape=bgr.shape[:2])
        if isinstance(image, str):
            metainfo['img_path'] = image
        sample = DetDataSample(metainfo=metainfo)
        sample.pred_instances = self(bgr)
        return sample


class SlicingInferencerMixin:
    """Makes an mmdet ``DetInferencer`` predict every image by its tiles.

    Put it first among the bases (``class Sliced(SlicingInferencerMixin,
    PluginDetInferencer)``). Images are not run through the pipeline whole:
    :meth:`forward` gets them as given (paths, or BGR arrays) and returns the
    :class:`SlicedPredictor`'s data samples, which the inferencer draws and
    writes as JSON as it does its own.

    Args:
        *args: The inferencer's arguments.
        slicing (SliceSettings): Tiles and merging.
        **kwargs: The inferencer's keyword arguments.
    """

    def __init__(self, *args, slicing: SliceSettings, **kwargs):
        super().__init__(*args, **kwargs)
        self.sliced_predictor = SlicedPredictor.for_model(self.model, self.cfg,
                                                          slicing)

    def preprocess(self, inputs, batch_size: int = 1, **kwargs):
        # (originals, model inputs) one image at a time: the tiles are prepared
        # by the pipeline in forward, the image whole never is
        for image in inputs:
            yield [image], [image]

    def forward(self, inputs, **kwargs) -> List[DetDataSample]:
        return [self.sliced_predictor.predict_sample(image) for image in inputs]


class SlicedDetector(torch.nn.Module):
    """A model whose ``test_step`` predicts each data sample's image file by its
    tiles (:class:`SlicedPredictor`) in place of the dataloader's resized image;
    put into the Runner by :class:`SlicedTestHook`.

    Args:
        model (nn.Module): The detector (or exported file) the tiles go through.
        predictor (SlicedPredictor): The predictor around it.
    """

    def __init__(self, model: torch.nn.Module, predictor: SlicedPredictor):
        super().__init__()
        self.model = model  # a submodule: eval() and devices reach it
        self.predictor = predictor

    def test_step(self, data: dict) -> list:
        samples = data['data_samples']
        for sample in samples:
            try:
                image = self.predictor.read(sample.img_path)
            except Exception as err:  # noqa: B902, what any image backend raises
                # as the safe loader scores a bad file as a blank image
                print_log(f'{sample.img_path}: {err}; scored as no detections',
                          logger='current', level=logging.WARNING)
                sample.pred_instances = _instances([])
                continue
            sample.pred_instances = self.predictor(image)
        return samples

    def forward(self, *args, **kwargs):
        raise RuntimeError('SlicedDetector only tests (test_step)')


class SlicedTestHook(Hook):
    """``tools/test.py --slice``: while testing, the Runner's model is a
    :class:`SlicedDetector` around it.

    Swapped in when testing starts, i.e. after the Runner has loaded the
    checkpoint into the model itself, and back when it ends; mmengine's test
    loop, the config's evaluator and the visualization hook see predictions in
    original-image pixels as from any detector. The lowest priority: hooks that
    edit the model when testing starts (``DeployBackboneHook``) find it as it is.

    Args:
        settings (SliceSettings): Tiles and merging.
    """

    priority = 'LOWEST'

    def __init__(self, settings: SliceSettings):
        self.settings = settings
        self._model: Optional[torch.nn.Module] = None

    def before_test(self, runner) -> None:
        self._model = runner.model
        predictor = SlicedPredictor.for_model(runner.model, runner.cfg,
                                              self.settings)
        runner.model = SlicedDetector(runner.model, predictor)
        runner.logger.info(f'sliced test: {predictor.settings.describe()}')

    def after_test(self, runner) -> None:
        if self._model is not None:
            runner.model, self._model = self._model, None
