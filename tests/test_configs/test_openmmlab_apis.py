"""OpenMMLab's own inference APIs on every shipped config, with random weights.

Users call what mmdet's, mmseg's and mmpretrain's docs teach, not only our
``tools/``: ``init_detector`` + ``inference_detector`` (a file, an array, lists of
either) and ``DetInferencer``; ``init_model`` + ``inference_model`` and
``MMSegInferencer``; ``ImageClassificationInferencer`` and ``get_model``. Each
config under ``configs/{det,seg,cls}`` joins this test by existing.

These APIs edit the test pipeline by the names they expect: they look for
``LoadImageFromFile`` and swap it for their in-memory loaders keeping its
arguments, and mmseg's drop ``LoadAnnotations``. A file and an array of the same
pixels must give the same prediction.

Each config runs as shipped except for the test pipeline's ``Resize`` scale,
set to 128 px (:func:`small_config`): the APIs' edits concern the loading and
annotation steps, and the COCO configs' 1333x800 (COCO-Stuff: 2048x512) would make
this test take half an hour of CPU.
"""
import copy
from pathlib import Path

import mmcv
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

ROOT = Path(__file__).parents[2]
CONFIGS = ROOT / 'configs'


def _configs(task):
    return sorted(str(p.relative_to(CONFIGS)) for p in (CONFIGS / task).glob('*.py'))


DET_CONFIGS, SEG_CONFIGS, CLS_CONFIGS = (_configs(t) for t in ('det', 'seg', 'cls'))


def test_every_config_is_covered():
    """Each config folder is collected, so a new config joins the tests."""
    names = {p.stem for p in CONFIGS.glob('*/*.py') if p.parent.name != '_base_'}
    collected = {Path(n).stem for n in DET_CONFIGS + SEG_CONFIGS + CLS_CONFIGS}
    assert names == collected
    assert len(DET_CONFIGS) >= 19 and len(SEG_CONFIGS) >= 7 and len(CLS_CONFIGS) >= 8


@pytest.fixture(scope='module')
def images(tmp_path_factory):
    """Three small colour images as files, and the same pixels as BGR arrays
    (what mmcv reads and what the APIs take). The first two have one size: mmseg
    batches a list without padding, so its images must share a size after the
    pipeline (its own configs too); the detection lists mix sizes."""
    tmp = tmp_path_factory.mktemp('api_images')
    rng = np.random.default_rng(0)
    paths, arrays = [], []
    for i, (h, w) in enumerate(((48, 64), (48, 64), (40, 40))):
        path = tmp / f'image{i}.png'
        mmcv.imwrite(rng.integers(0, 256, (h, w, 3), dtype=np.uint8), str(path))
        paths.append(str(path))
        arrays.append(mmcv.imread(str(path)))
    return paths, arrays


SMALL_SCALE = (128, 128)


def small_config(path: str) -> Config:
    """The config at ``path`` with every ``Resize`` of its test pipelines (a demo
    config may have none) at
    :data:`SMALL_SCALE` (``test_dataloader``'s, which mmdet's APIs and the
    inferencers read, and the top-level ``test_pipeline``, which mmseg's
    ``inference_model`` reads)."""
    cfg = Config.fromfile(path)
    pipelines = [cfg.test_dataloader.dataset.pipeline]
    if 'test_pipeline' in cfg:
        pipelines.append(cfg.test_pipeline)
    for pipeline in pipelines:
        for step in pipeline:
            if step['type'] == 'Resize':
                step['scale'] = SMALL_SCALE
    return cfg


class _Cached:
    """One model per config for the whole module; a fresh copy of its config for
    each call. mmdet's ``inference_detector`` and mmseg's ``inference_model``
    edit ``model.cfg`` in place (the array loader stays after an array call, even
    with their own configs), so every call starts from the config as built."""

    def __init__(self, build):
        self._build = build
        self._models = {}

    def __call__(self, name):
        if name not in self._models:
            model = self._build(small_config(str(CONFIGS / name)))
            self._models[name] = (model, copy.deepcopy(model.cfg))
        model, cfg = self._models[name]
        model.cfg = copy.deepcopy(cfg)
        return model


@pytest.fixture(scope='module')
def detector():
    from mmdet.apis import init_detector
    return _Cached(lambda config: init_detector(config, device='cpu'))


@pytest.fixture(scope='module')
def segmenter():
    from mmseg.apis import init_model
    return _Cached(lambda config: init_model(config, device='cpu'))


def _boxes(sample):
    return torch.cat([sample.pred_instances.bboxes,
                      sample.pred_instances.scores[:, None]], dim=1)


# ------------------------------------------------------------------ detection

DET_INPUTS = ('file', 'array', 'list_of_files', 'list_of_arrays')


@pytest.mark.parametrize('inputs', DET_INPUTS)
@pytest.mark.parametrize('name', DET_CONFIGS)
def test_inference_detector(name, inputs, detector, images):
    from mmdet.apis import inference_detector
    paths, arrays = images
    model = detector(name)
    given = dict(file=paths[0], array=arrays[0], list_of_files=paths[::2],
                 list_of_arrays=arrays[::2])[inputs]
    results = inference_detector(model, given)
    results = results if isinstance(results, list) else [results]
    assert len(results) == (2 if inputs.startswith('list') else 1)
    for sample, array in zip(results, arrays[::2]):
        assert tuple(sample.ori_shape) == array.shape[:2]
        assert sample.pred_instances.bboxes.shape[1] == 4
    # the same pixels from a file: the same detections
    reference = inference_detector(detector(name), paths[0])
    torch.testing.assert_close(_boxes(results[0]), _boxes(reference))


@pytest.mark.parametrize('name', DET_CONFIGS)
def test_det_inferencer(name, images, detector):
    from mmdet.apis import DetInferencer
    paths, arrays = images
    inferencer = DetInferencer(model=small_config(str(CONFIGS / name)), weights=None,
                               device='cpu', show_progress=False)
    # the same weights as the init_detector model, to compare the predictions
    inferencer.model.load_state_dict(detector(name).state_dict())
    out = inferencer([paths[0], arrays[0]], return_datasamples=True,
                     no_save_vis=True)
    file_result, array_result = out['predictions']
    assert tuple(file_result.ori_shape) == arrays[0].shape[:2]
    torch.testing.assert_close(_boxes(file_result), _boxes(array_result))
    from mmdet.apis import inference_detector
    torch.testing.assert_close(
        _boxes(file_result), _boxes(inference_detector(detector(name), paths[0])))


# ------------------------------------------------------------------ segmentation


@pytest.mark.parametrize('inputs', ('file', 'array', 'list_of_files'))
@pytest.mark.parametrize('name', SEG_CONFIGS)
def test_inference_model_seg(name, inputs, segmenter, images):
    from mmseg.apis import inference_model
    paths, arrays = images
    given = dict(file=paths[0], array=arrays[0], list_of_files=paths[:2])[inputs]
    with DefaultScope.overwrite_default_scope('mmseg'):
        results = inference_model(segmenter(name), given)
        reference = inference_model(segmenter(name), paths[0])
    results = results if isinstance(results, list) else [results]
    for sample, array in zip(results, arrays):
        assert tuple(sample.pred_sem_seg.data.shape[-2:]) == array.shape[:2]
    torch.testing.assert_close(results[0].seg_logits.data, reference.seg_logits.data)


@pytest.mark.parametrize('name', SEG_CONFIGS)
def test_mmseg_inferencer(name, images, segmenter):
    from mmseg.apis import MMSegInferencer
    paths, arrays = images
    with DefaultScope.overwrite_default_scope('mmseg'):
        inferencer = MMSegInferencer(model=small_config(str(CONFIGS / name)),
                                     device='cpu')
        inferencer.model.load_state_dict(segmenter(name).state_dict())
        out = inferencer([paths[0], arrays[0]], return_datasamples=True)
    file_result, array_result = out
    assert tuple(file_result.pred_sem_seg.data.shape[-2:]) == arrays[0].shape[:2]
    torch.testing.assert_close(file_result.seg_logits.data,
                               array_result.seg_logits.data)


# ------------------------------------------------------------------ classification


@pytest.mark.parametrize('name', CLS_CONFIGS)
def test_image_classification_inferencer(name, images):
    from mmpretrain.apis import ImageClassificationInferencer
    paths, arrays = images
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        inferencer = ImageClassificationInferencer(model=str(CONFIGS / name),
                                                   device='cpu')
        file_result, array_result = inferencer([paths[0], arrays[0]])
    num_classes = Config.fromfile(str(CONFIGS / name)).model.head.num_classes
    assert len(file_result['pred_scores']) == num_classes
    np.testing.assert_allclose(file_result['pred_scores'],
                               array_result['pred_scores'], rtol=0, atol=1e-6)


@pytest.mark.parametrize('name', CLS_CONFIGS)
def test_get_model_then_inferencer(name, images):
    """``get_model`` on a config file, then the model into the inferencer and
    called as a module. (mmpretrain's ``inference_model`` picks its inferencer
    from a model-hub name, which a config file has not, with its own configs
    too.)"""
    from mmpretrain import get_model
    from mmpretrain.apis import ImageClassificationInferencer
    paths, arrays = images
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = get_model(str(CONFIGS / name), pretrained=False, device='cpu')
        result, = ImageClassificationInferencer(model=model, device='cpu')(paths[0])
        scores = model(torch.rand(1, 3, 224, 224), mode='tensor')
    num_classes = Config.fromfile(str(CONFIGS / name)).model.head.num_classes
    assert len(result['pred_scores']) == num_classes
    assert scores.shape == (1, num_classes)
