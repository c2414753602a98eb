"""Test pipelines edited for bare images (no annotations, the plain loader the
inferencers look for), and the class names of a config's test dataset. Used by
inference on checkpoints and on exported files."""
import copy
from typing import List

from mmdet.registry import DATASETS
from mmengine.config import Config

__all__ = ['ANNOTATION_STEPS', 'config_metainfo', 'image_only_pipeline',
           'with_plain_loading']


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
