"""Models with random weights for the deployment tests."""
import importlib
from typing import Callable

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

import shufflenet_backbones  # noqa: F401
from shufflenet_backbones.toolkit.deploy.graph_ops import INVALID_SCORE


@pytest.fixture(scope='session')
def build_random_model(repo_root, randomise_bn) -> Callable[..., torch.nn.Module]:
    """``build_random_model(config, **model_overrides)``: the model of
    ``configs/<config>`` with random weights, in eval mode (the overrides are
    keys under ``model.``, as in ``--cfg-options``).

    Its BN layers are non-trivial affine maps (for segmenters and classifiers
    with the statistics of a batch of random images, which keeps their maps
    varied), and its classification layers are scaled up so that scores
    spread out: with the papers' init every box scores about alike, and ties
    make the order of detections arbitrary.
    """

    def build(config: str, **overrides) -> torch.nn.Module:
        cfg = Config.fromfile(repo_root / 'configs' / config)
        cfg.model.backbone.init_cfg = None
        cfg.merge_from_dict({f'model.{k}': v for k, v in overrides.items()})
        scope = cfg.get('default_scope', 'mmdet')
        registry = importlib.import_module(f'{scope}.registry').MODELS
        with DefaultScope.overwrite_default_scope(scope):
            model = registry.build(cfg.model)
        model.init_weights()
        # segmenters and classifiers run on a bare batch ('tensor' mode)
        model = randomise_bn(
            model, batch_shape=None if scope == 'mmdet' else (2, 3, 96, 128))
        with torch.no_grad():
            for name, param in model.named_parameters():
                if 'cls' in name and param.dim() > 1:
                    param.normal_(0, 0.5)
        return model.eval()

    return build


def _assert_same_detections(expected, dets, labels, image_size: float,
                            share: float = 1.0) -> None:
    """Every expected detection (``bboxes``, ``scores``, ``labels``) -- or
    ``share`` of them -- has one in ``dets`` (K, 5) / ``labels`` (K, ) of the
    same label, its box within 1e-3 of the image size and its score within
    1e-4; as many slots are filled (empty slots score :data:`INVALID_SCORE`)."""
    dets, labels = torch.as_tensor(dets), torch.as_tensor(labels)
    filled = dets[:, 4] > INVALID_SCORE
    assert int(filled.sum()) == len(expected.scores)
    dets, labels = dets[filled], labels[filled]
    unmatched = []
    for box, score, label in zip(expected.bboxes, expected.scores, expected.labels):
        same = ((dets[:, :4] - box).abs().max(dim=1).values < 1e-3 * image_size) \
            & ((dets[:, 4] - score).abs() < 1e-4) & (labels == label)
        if not same.any():
            unmatched.append((box, score, label))
    assert len(unmatched) <= (1 - share) * len(expected.scores), unmatched[:3]


@pytest.fixture(scope='session')
def assert_same_detections() -> Callable[..., None]:
    """``assert_same_detections(expected, dets, labels, image_size, share=1.0)``:
    see
    :func:`_assert_same_detections`."""
    return _assert_same_detections
