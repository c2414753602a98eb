"""Detect objects in your own images with a trained detector: mmdet's
``DetInferencer`` with this package's modules registered (``tools/infer.py``).

    python tools/infer.py CONFIG CHECKPOINT IMAGE_OR_DIR [IMAGE_OR_DIR ...]
                          [--out-dir DIR] [--score-thr 0.3] [--device cpu]

For every image (a folder stands for the images directly in it):

- ``OUT_DIR/vis/<file name>``: the image with the boxes scoring above
  ``--score-thr`` drawn by the config's visualizer (the shapes demo's draws small
  images at 512 px, see :mod:`shufflenet_backbones.visualization`);
- ``OUT_DIR/preds/<file stem>.json``: every prediction, ``labels``, ``scores`` and
  ``bboxes`` (x1, y1, x2, y2 in the image's pixels).

Class names come from the checkpoint (``tools/train.py`` saves them), else from the
config's test dataset. Everything the user passes is checked before a model is
built: a missing or unreadable image, a folder without images, a checkpoint that is
missing or does not fit the config's model end the run with one
``infer.py: error:`` line naming it (exit code 1).
"""
import argparse
import copy
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import torch
from mmdet.apis import DetInferencer
from mmdet.apis.det_inferencer import IMG_EXTENSIONS
from mmdet.registry import DATASETS
from mmengine.config import Config
from PIL import Image

from ..cli.common import CLIError, fail
from ..weights.state_dict import check_fits, read_checkpoint, state_dict_of

PROG = 'infer.py'
DEFAULT_OUT_DIR = 'work_dirs/infer'


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description='Detect objects in images with a trained detector; writes the '
        'drawn images (OUT_DIR/vis/) and the predictions as JSON (OUT_DIR/preds/).')
    parser.add_argument('config', help='the detector\'s config file')
    parser.add_argument('checkpoint', help='its trained weights (.pth)')
    parser.add_argument(
        'inputs', nargs='+', metavar='IMAGE_OR_DIR',
        help='image files, or folders whose images (not sub-folders) are read')
    parser.add_argument(
        '--out-dir', default=DEFAULT_OUT_DIR,
        help=f'where vis/ and preds/ are written (default: {DEFAULT_OUT_DIR})')
    parser.add_argument(
        '--score-thr', type=float, default=0.3,
        help='draw the boxes scoring above this (default: 0.3); the JSON files '
        'hold every prediction')
    parser.add_argument(
        '--device', default=None,
        help='cpu, cuda or cuda:N (default: cuda when a GPU is visible, else cpu)')
    return parser.parse_args(argv)


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


def _check_image(path: str) -> None:
    # the header only (no decoding): cheap enough for folders of many images
    try:
        with Image.open(path) as image:
            image.verify()
    except Exception as err:  # PIL raises several types; any means unreadable
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise CLIError(f'cannot read image {path}: {reason}') from err


def list_images(inputs: Sequence[str]) -> List[str]:
    """The image files named by ``inputs`` (files, or folders: the images directly
    in them, sorted), each checked to be a readable image.

    Raises:
        CLIError: an input is missing, is no image file, is a folder without
            images, or two images would write the same output files.
    """
    extensions = ', '.join(IMG_EXTENSIONS)
    images = []
    for path in inputs:
        if osp.isdir(path):
            found = sorted(
                osp.join(path, name) for name in os.listdir(path)
                if name.lower().endswith(IMG_EXTENSIONS)
                and osp.isfile(osp.join(path, name)))
            if not found:
                raise CLIError(f'no images ({extensions}) in folder {path}')
            images.extend(found)
        elif osp.isfile(path):
            if not path.lower().endswith(IMG_EXTENSIONS):
                raise CLIError(f'not an image file ({extensions}): {path}')
            images.append(path)
        else:
            raise CLIError(f'image not found: {path}')
    for path in images:
        _check_image(path)
    # outputs are named after the file (vis/) and its stem (preds/): a clash would
    # silently overwrite one image's results with another's
    seen: Dict[str, str] = {}
    for path in images:
        stem = osp.splitext(osp.basename(path))[0]
        if stem in seen and seen[stem] != path:
            raise CLIError(f'{seen[stem]} and {path} would write the same output '
                           f'files ({stem}.*): rename one or run them separately')
        seen[stem] = path
    return list(dict.fromkeys(images))  # an image named twice is done once


def check_checkpoint_fits(model: torch.nn.Module, checkpoint: dict, path: str,
                          config: str) -> None:
    """:class:`CLIError` if the checkpoint lacks weights of ``model`` or has other
    shapes (mmengine would only warn and run a half-initialised model)."""
    try:
        check_fits(model.state_dict(), state_dict_of(checkpoint, path), path, config)
    except ValueError as err:
        raise CLIError(str(err)) from err


def config_metainfo(cfg: Config) -> dict:
    """The metainfo (classes, palette) of the config's test dataset, read without
    loading its annotations (as mmdet reads the palette)."""
    dataset_cfg = copy.deepcopy(cfg.test_dataloader.dataset)
    dataset_cfg['lazy_init'] = True
    return dict(DATASETS.build(dataset_cfg).metainfo)


def with_plain_loading(pipeline: List[dict]) -> List[dict]:
    """``pipeline`` with ``SafeLoadImageFromFile`` steps as ``LoadImageFromFile``.

    The inferencers find the loading step by the name LoadImageFromFile. The
    shipped configs name it so (SafeLoadingRunner makes it safe); configs
    written with the safe loader in the pipeline, and files exported or
    checkpoints saved from them, still name SafeLoadImageFromFile. For inference
    the images are checked before anything runs (:func:`list_images`), so the
    plain loader is what is needed.
    """
    plain = []
    for step in pipeline:
        if step['type'] == 'SafeLoadImageFromFile':
            step = {k: v for k, v in step.items()
                    if k not in ('on_bad', 'check_size', 'max_bad_in_row')}
            step['type'] = 'LoadImageFromFile'
        plain.append(step)
    return plain


# transforms that read annotations, which images of your own do not have
ANNOTATION_STEPS = ('LoadAnnotations', 'SafeLoadSegAnnotations', 'CheckSegLabels')


def image_only_pipeline(pipeline: List[dict]) -> List[dict]:
    """A test pipeline for bare images: :func:`with_plain_loading`, without the
    steps that read or check annotations."""
    return [step for step in with_plain_loading(pipeline)
            if step['type'] not in ANNOTATION_STEPS]


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
        >>> from shufflenet_backbones.weights.state_dict import read_checkpoint
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


def infer(config: str,
          checkpoint: str,
          inputs: Sequence[str],
          out_dir: str = DEFAULT_OUT_DIR,
          score_thr: float = 0.3,
          device: Optional[str] = None) -> List[dict]:
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

    inferencer = PluginDetInferencer(cfg, ckpt, checkpoint, config, device=device)
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


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    try:
        summary = infer(args.config, args.checkpoint, args.inputs, args.out_dir,
                        args.score_thr, args.device)
    except CLIError as err:
        fail(PROG, err)
    for result in summary:
        found = ', '.join(f'{label} {score:.2f}' for label, score in
                          result['objects']) or 'nothing'
        print(f'{result["image"]}: {found}')
    print(f'{len(summary)} image(s): drawn (score > {args.score_thr}) in '
          f'{osp.join(args.out_dir, "vis")}/, every prediction as JSON in '
          f'{osp.join(args.out_dir, "preds")}/')
