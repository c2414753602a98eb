"""Detect objects in your own images with a trained detector: mmdet's
``DetInferencer`` with this package's modules registered (``tools/infer.py``).

    python tools/infer.py CONFIG CHECKPOINT IMAGE_OR_DIR [IMAGE_OR_DIR ...]
                          [--out-dir DIR] [--score-thr 0.3] [--device cpu]
                          [--slice H W [--overlap 0.2] [--no-whole-image]]

For every image (a folder stands for the images directly in it):

- ``OUT_DIR/vis/<file name>``: the image with the boxes scoring above
  ``--score-thr`` drawn by the config's visualizer (the shapes demo's draws small
  images at 512 px, see :mod:`shufflenet_backbones.visualization`);
- ``OUT_DIR/preds/<file stem>.json``: every prediction, ``labels``, ``scores`` and
  ``bboxes`` (x1, y1, x2, y2 in the image's pixels).

With ``--slice H W`` each image is predicted by overlapping tiles of H x W pixels,
merged by NMS into the image's pixels (:mod:`.slicing`), for images much larger
than the detector's input; the outputs are the same files.

Class names come from the checkpoint (``tools/train.py`` saves them), else from the
config's test dataset. Everything the user passes is checked before a model is
built: a missing or unreadable image, a folder without images, a checkpoint that is
missing or does not fit the config's model end the run with one
``infer.py: error:`` line naming it (exit code 1).
"""
import os.path as osp
from typing import List, Optional, Sequence

import torch
from mmdet.apis import DetInferencer
from mmengine.config import Config

from ...checkpoint.state_dict import check_fits, read_checkpoint, state_dict_of
from ..errors import CLIError
from .images import list_images
from .pipelines import config_metainfo, with_plain_loading
from .slicing import SliceSettings, SlicingInferencerMixin

PROG = 'infer.py'
DEFAULT_OUT_DIR = 'work_dirs/infer'


def load_detection_config(path: str) -> Config:
    """The config at ``path``; :class:`CLIError` unless it is an mmdet config with
    the test pipeline that inference prepares images with."""
    if not osp.isfile(path):
        raise CLIError(f'config file not found: {path}')
    cfg = Config.fromfile(path)  # also imports its custom_imports
    scope = cfg.get('default_scope', 'mmdet')
    if scope != 'mmdet':
        raise CLIError(f'{path} is an {scope} config: {PROG} runs detectors (mmdet '
                       'configs, e.g. configs/det/*.py)')
    if not cfg.get('test_dataloader', {}).get('dataset', {}).get('pipeline'):
        raise CLIError(f'{path} has no test_dataloader.dataset.pipeline, which '
                       'prepares the images for the model')
    return cfg


def check_checkpoint_fits(model: torch.nn.Module, checkpoint: dict, path: str,
                          config: str) -> None:
    """:class:`CLIError` if the checkpoint lacks weights of ``model`` or has other
    shapes (mmengine would only warn and run a half-initialised model)."""
    try:
        check_fits(model.state_dict(), state_dict_of(checkpoint, path), path, config)
    except ValueError as err:
        raise CLIError(str(err)) from err


class PluginDetInferencer(DetInferencer):
    """mmdet's ``DetInferencer`` for a checkpoint already read and checked.

    The checkpoint is given as a dict (read by the caller, so that an unreadable
    file is one clear error), checked to fit the model, and, when it holds no class
    names (e.g. converted weights), given the config's test dataset's: mmdet would
    fall back to COCO's 80.

    Args:
        cfg (Config): A detection config.
        checkpoint (dict): The checkpoint, as read from ``checkpoint_path``.
        checkpoint_path (str): Where it was read from (for messages).
        config_path (str): Where the config was read from (for messages).
        device (str, optional): Where the model runs; None picks a GPU when one is
            visible. Defaults to None.
        **kwargs: ``DetInferencer``'s other arguments (``palette``,
            ``show_progress``).

    Example:
        >>> from mmengine.config import Config
        >>> from shufflenet_backbones.checkpoint.state_dict import read_checkpoint
        >>> config = 'configs/det/lighthead_shufflenetv2_shapes_demo.py'
        >>> path = 'work_dirs/quickstart/iter_600.pth'
        >>> inferencer = PluginDetInferencer(  # doctest: +SKIP
        ...     Config.fromfile(config), read_checkpoint(path), path, config)
        >>> inferencer('image.png', out_dir='out', no_save_pred=False)  # doctest: +SKIP
    """

    def __init__(self,
                 cfg: Config,
                 checkpoint: dict,
                 checkpoint_path: str,
                 config_path: str,
                 device: Optional[str] = None,
                 **kwargs) -> None:
        if 'state_dict' not in checkpoint:  # a bare state dict: room for the meta
            checkpoint = dict(state_dict=checkpoint)
        self._checkpoint: Optional[dict] = checkpoint
        self._checkpoint_path = checkpoint_path
        self._config_path = config_path
        # weights=None: mmengine would read the file again; ours comes in below
        super().__init__(model=cfg, weights=None, device=device, **kwargs)

    def _init_pipeline(self, cfg: Config):
        pipeline = cfg.test_dataloader.dataset.pipeline
        pipeline[:] = with_plain_loading(pipeline)
        return super()._init_pipeline(cfg)

    def _load_weights_to_model(self, model: torch.nn.Module,
                               checkpoint: Optional[dict], cfg: Config) -> None:
        checkpoint, self._checkpoint = self._checkpoint, None  # not kept in memory
        check_checkpoint_fits(model, checkpoint, self._checkpoint_path,
                              self._config_path)
        meta = dict(checkpoint.get('meta') or {})
        if 'dataset_meta' not in meta and 'CLASSES' not in meta:
            meta['dataset_meta'] = config_metainfo(cfg)
        super()._load_weights_to_model(model, dict(checkpoint, meta=meta), cfg)


class SlicedPluginDetInferencer(SlicingInferencerMixin, PluginDetInferencer):
    """:class:`PluginDetInferencer` predicting each image by its tiles; takes
    ``slicing`` (:class:`~.slicing.SliceSettings`) besides its arguments."""


def infer(config: str,
          checkpoint: str,
          inputs: Sequence[str],
          out_dir: str = DEFAULT_OUT_DIR,
          score_thr: float = 0.3,
          device: Optional[str] = None,
          slicing: Optional[SliceSettings] = None) -> List[dict]:
    """Run the detector of ``config`` with the weights ``checkpoint`` on the images
    of ``inputs``; write the drawn images to ``out_dir/vis/`` and the predictions
    to ``out_dir/preds/``.

    Args:
        config (str): A detection config file.
        checkpoint (str): Its trained weights.
        inputs (Sequence[str]): Image files and folders of images.
        out_dir (str): Where ``vis/`` and ``preds/`` go. Defaults to
            'work_dirs/infer'.
        score_thr (float): Boxes scoring above it are drawn. Defaults to 0.3.
        device (str, optional): 'cpu', 'cuda', 'cuda:N'; None picks a GPU when one
            is visible. Defaults to None.
        slicing (SliceSettings, optional): Predict each image by its tiles
            (:mod:`.slicing`); None: whole. Defaults to None.

    Returns:
        list[dict]: Per image: ``image`` (its path), ``vis`` and ``json`` (the
        written files) and ``objects`` (``(class name, score)`` of the drawn boxes).

    Raises:
        CLIError: an input is missing or unusable (see the module's docstring).
    """
    if not 0 <= score_thr <= 1:
        raise CLIError(f'--score-thr must be between 0 and 1, got {score_thr}')
    if device is not None and device.startswith('cuda') \
            and not torch.cuda.is_available():
        raise CLIError(f'--device {device}: no GPU is visible here; use --device cpu')
    cfg = load_detection_config(config)
    images = list_images(inputs)
    if '://' not in checkpoint and not osp.isfile(checkpoint):  # before any log
        raise CLIError(f'checkpoint not found: {checkpoint}')
    try:
        ckpt = read_checkpoint(checkpoint)
    except (FileNotFoundError, ValueError) as err:
        raise CLIError(str(err)) from err

    if slicing is None:
        inferencer = PluginDetInferencer(cfg, ckpt, checkpoint, config,
                                         device=device)
    else:
        inferencer = SlicedPluginDetInferencer(cfg, ckpt, checkpoint, config,
                                               device=device, slicing=slicing)
    del ckpt  # the model holds the weights now
    results = inferencer(images, out_dir=out_dir, no_save_pred=False,
                         pred_score_thr=score_thr)
    classes = inferencer.model.dataset_meta.get('classes') or ()

    def name(label: int) -> str:
        return classes[label] if label < len(classes) else f'class {label}'

    summary = []
    for image, pred in zip(images, results['predictions']):
        stem, _ = osp.splitext(osp.basename(image))
        summary.append(dict(
            image=image,
            vis=osp.join(out_dir, 'vis', osp.basename(image)),
            json=osp.join(out_dir, 'preds', f'{stem}.json'),
            # as drawn: mmdet keeps boxes scoring strictly above the threshold
            objects=[(name(label), score)
                     for label, score in zip(pred['labels'], pred['scores'])
                     if score > score_thr]))
    return summary
