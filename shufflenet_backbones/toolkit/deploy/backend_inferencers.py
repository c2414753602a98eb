"""Run an exported model on your own images with onnxruntime or OpenVINO.

    python tools/deploy/infer.py MODEL.onnx IMAGE_OR_DIR [IMAGE_OR_DIR ...]
                                 [--backend {onnxruntime,openvino}]
                                 [--out-dir DIR] [--score-thr 0.3] [--threads N]
                                 [--slice H W [--overlap 0.2] [--no-whole-image]]

The ONNX file carries its config (``tools/deploy/export.py`` writes it in), so
nothing else is needed. Images are prepared by the config's test pipeline (resize,
keep ratio), run by the chosen runtime, and handed to the library's own inferencer
for the outputs, exactly as ``tools/infer.py`` does for a PyTorch checkpoint:

- detection (mmdet's ``DetInferencer``): ``OUT_DIR/vis/<file>`` with the boxes
  scoring above ``--score-thr`` drawn by the config's visualizer (the shapes
  demo's at 512 px), and ``OUT_DIR/preds/<stem>.json`` with every box in the
  original image's pixels;
- segmentation (mmseg's ``MMSegInferencer``): the label map drawn over the image
  in ``OUT_DIR/vis/`` and as a PNG of class indices in ``OUT_DIR/pred/``;
- classification: the top class and its score printed per image.

Detectors also take ``--slice H W``: each image predicted by overlapping tiles,
each tile run by the runtime and the boxes merged by NMS into the image's pixels
(:mod:`shufflenet_backbones.toolkit.inference.slicing`), the same output files. A
file exported with a fixed ``--shape`` then needs to cover a tile after the test
pipeline, not the whole image.
"""
import os.path as osp
from typing import List, Optional, Sequence

from mmdet.apis import DetInferencer
from mmengine.config import Config

from ..errors import CLIError
from ..inference.images import list_images
from ..inference.pipelines import image_only_pipeline
from ..inference.slicing import SliceSettings, SlicingInferencerMixin
from .backend_model import BackendModel
from .runtime import BackendUnavailableError

DEFAULT_OUT_DIR = 'work_dirs/deploy_infer'


class _BackendInferencerMixin:
    """An inferencer of mmdet / mmseg whose model is a :class:`BackendModel`."""

    def __init__(self, cfg: Config, model: BackendModel, **kwargs):
        self._backend_model = model
        super().__init__(model=cfg, weights=None, device='cpu', **kwargs)

    def _init_model(self, cfg, weights, device):
        self._backend_model.cfg = cfg
        return self._backend_model

    def _init_pipeline(self, cfg):
        pipeline = cfg.test_dataloader.dataset.pipeline
        pipeline[:] = image_only_pipeline(pipeline)
        return super()._init_pipeline(cfg)


class BackendDetInferencer(_BackendInferencerMixin, DetInferencer):
    """mmdet's ``DetInferencer`` running an exported detector."""


class SlicedBackendDetInferencer(SlicingInferencerMixin, BackendDetInferencer):
    """:class:`BackendDetInferencer` predicting each image by its tiles; takes
    ``slicing`` (:class:`~..inference.slicing.SliceSettings`) besides its
    arguments."""


def _seg_inferencer(cfg: Config, model: BackendModel, **kwargs):
    from mmseg.apis import MMSegInferencer

    class BackendSegInferencer(_BackendInferencerMixin, MMSegInferencer):
        pass

    return BackendSegInferencer(cfg, model, **kwargs)


def infer(model_path: str,
          inputs: Sequence[str],
          backend: str = 'onnxruntime',
          out_dir: str = DEFAULT_OUT_DIR,
          score_thr: float = 0.3,
          threads: Optional[int] = None,
          slicing: Optional[SliceSettings] = None) -> List[str]:
    """Run the exported model on the images of ``inputs``; write the outputs to
    ``out_dir``. Returns one line per image saying what was found. ``slicing``:
    a detector predicts each image by its tiles (None: whole).

    Raises:
        CLIError: a missing or unreadable model or image, a runtime that is not
            installed, ``slicing`` for a model that is no detector.
    """
    if not 0 <= score_thr <= 1:
        raise CLIError(f'--score-thr must be between 0 and 1, got {score_thr}')
    try:
        images = list_images(inputs)
        model = BackendModel(model_path, backend, threads)
    except (FileNotFoundError, ValueError, BackendUnavailableError) as err:
        raise CLIError(str(err)) from err
    cfg = model.cfg
    classes = model.dataset_meta['classes']

    def name(label: int) -> str:
        return classes[label] if label < len(classes) else f'class {label}'

    if slicing is not None and model.task != 'detection':
        raise CLIError(f'--slice merges detected boxes; {model_path} is a '
                       f'{model.task} model')
    if model.task == 'detection':
        inferencer = BackendDetInferencer(cfg, model, show_progress=False) \
            if slicing is None else SlicedBackendDetInferencer(
                cfg, model, show_progress=False, slicing=slicing)
        results = inferencer(images, out_dir=out_dir, no_save_pred=False,
                             pred_score_thr=score_thr)['predictions']
        return [
            f'{image}: ' + (', '.join(
                f'{name(label)} {score:.2f}'
                for label, score in zip(pred['labels'], pred['scores'])
                if score > score_thr) or 'nothing')
            for image, pred in zip(images, results)
        ]
    if model.task == 'segmentation':
        # mmseg's visualizer wants a colour per class: the dataset's own
        metainfo = cfg.test_dataloader.dataset.get('metainfo') or {}
        if metainfo.get('palette'):
            model.dataset_meta['palette'] = list(metainfo['palette'])
        inferencer = _seg_inferencer(cfg, model)
        inferencer(images, out_dir=out_dir)
        return [f'{image}: label map in {osp.join(out_dir, "vis")}/'
                for image in images]
    return _classify(cfg, model, images, name)


def _classify(cfg: Config, model: BackendModel, images: List[str], name) -> List[str]:
    """The top class of each image, through the config's test pipeline."""
    from mmengine.dataset import Compose, default_collate
    from mmengine.registry import init_default_scope

    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    pipeline = Compose(image_only_pipeline(cfg.test_dataloader.dataset.pipeline))
    lines = []
    for image in images:
        data = default_collate([pipeline(dict(img_path=image))])
        sample = model.test_step(data)[0]
        label = int(sample.pred_label)
        lines.append(f'{image}: {name(label)} {float(sample.pred_score[label]):.2f}')
    return lines
