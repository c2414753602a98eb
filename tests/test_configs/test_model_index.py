"""The OpenMMLab model index (model-index.yml, configs/*/metafile.yml).

Every config has exactly one entry and every entry points at a config that loads
and whose model builds in its library's registry. The figures an entry states about
the config are checked against it: backbone, FLOPs and parameters (recounted), the
checkpoint it starts from and the command that writes it. Results are either the
paper's, measured by a named command, or 'not measured'. About 20 s on 2 CPU cores.
"""
import importlib
import inspect
from collections import Counter
from pathlib import Path

import pytest
import yaml
from mmengine.config import Config
from mmengine.registry import DefaultScope

from shufflenet_backbones import models
from shufflenet_backbones.toolkit.analysis.complexity import (
    classifier_multiply_adds, classifier_params)
from shufflenet_backbones.toolkit.weights.zoo import get_weights_command

ROOT = Path(__file__).parents[2]
CONFIGS = sorted(
    str(p.relative_to(ROOT)) for p in (ROOT / 'configs').rglob('*.py')
    if '_base_' not in p.parts)
METAFILES = sorted(
    str(p.relative_to(ROOT)) for p in (ROOT / 'configs').glob('*/metafile.yml'))
REGISTRY = {'mmdet': 'mmdet.registry', 'mmseg': 'mmseg.registry',
            'mmpretrain': 'mmpretrain.registry'}


def read_yaml(path: str) -> dict:
    with open(ROOT / path) as f:
        return yaml.safe_load(f)


def all_models() -> list:
    """Every model entry, with the metafile it is in."""
    entries = []
    for metafile in read_yaml('model-index.yml')['Import']:
        for model in read_yaml(metafile)['Models']:
            entries.append(dict(model, metafile=metafile))
    return entries


ENTRIES = {}  # config path -> its entry (the first, if a test below fails on two)
for _entry in all_models():
    ENTRIES.setdefault(_entry['Config'], _entry)


def test_model_index_imports_every_metafile():
    assert METAFILES, 'no configs/*/metafile.yml'
    assert sorted(read_yaml('model-index.yml')['Import']) == METAFILES


def test_every_config_has_exactly_one_entry():
    counts = Counter(entry['Config'] for entry in all_models())
    assert sorted(counts) == CONFIGS, 'entries without a config / configs without one'
    assert [c for c, n in counts.items() if n > 1] == []
    names = Counter(entry['Name'] for entry in all_models())
    assert [n for n, k in names.items() if k > 1] == []


def test_metafiles_follow_openmmlab_format():
    """The fields mim and OpenMMLab's model-index package read."""
    for metafile in METAFILES:
        doc = read_yaml(metafile)
        collections = {c['Name'] for c in doc['Collections']}
        for c in doc['Collections']:
            assert c['Paper']['URL'].startswith('https://'), c['Name']
            # paths from the repository root, as OpenMMLab writes them (Config too)
            assert (ROOT / c['README']).is_file(), c['Name']
        for model in doc['Models']:
            assert model['In Collection'] in collections, model['Name']
            assert model['Name'] == Path(model['Config']).stem
            assert Path(model['Config']).parent == Path(metafile).parent
            for result in model['Results']:
                assert set(result) <= {'Task', 'Dataset', 'Metrics', 'Source'}
    # OpenMMLab's own reader (installed with mmpretrain) takes the whole index
    from modelindex.load_model_index import load
    index = load(str(ROOT / 'model-index.yml'))
    assert len(index.models) == len(CONFIGS)


def test_results_are_marked():
    """A figure is the paper's or measured by a named command; anything else,
    COCO and COCO-Stuff included, reads 'not measured'."""
    for entry in all_models():
        for result in entry['Results']:
            source = result.get('Source', '')
            for metric, value in result['Metrics'].items():
                where = f'{entry["Name"]}: {metric}'
                if isinstance(value, str):
                    assert value == 'not measured', where
                    assert not source, where
                else:
                    assert source.startswith(('paper: ', 'measured: `')), where
                    if result['Dataset'].startswith('COCO'):
                        assert source.startswith('paper: '), where


def _backbone(cfg: Config):
    """The backbone's class name, the arguments that set its widths (defaults
    filled in) and how an entry names it: 'ShuffleNetV1 1.0x (g=3)', 'SNet146'."""
    backbone = cfg.model.backbone
    name = backbone.type.split('.')[-1]  # 'shufflenet_backbones.ShuffleNetV2'
    defaults = inspect.signature(getattr(models, name)).parameters
    if name == 'SNet':
        arch = backbone.get('arch', defaults['arch'].default)
        return name, dict(arch=arch), f'SNet{arch}'
    kwargs = dict(widen_factor=backbone.get('widen_factor',
                                            defaults['widen_factor'].default))
    label = f'{name} {kwargs["widen_factor"]}x'
    if name == 'ShuffleNetV1':
        kwargs['groups'] = backbone.get('groups', defaults['groups'].default)
        label += f' (g={kwargs["groups"]})'
    return name, kwargs, label


_COUNTS = {}


def _complexity(name: str, kwargs: dict):
    key = (name, tuple(sorted(kwargs.items())))
    if key not in _COUNTS:
        backbone = getattr(models, name)(**kwargs)
        _COUNTS[key] = (classifier_multiply_adds(backbone),
                        classifier_params(backbone))
    return _COUNTS[key]


@pytest.mark.parametrize('config', CONFIGS)
def test_entry_matches_a_config_that_builds(config):
    entry = ENTRIES.get(config)
    assert entry is not None, f'{config} has no entry in configs/*/metafile.yml'
    cfg = Config.fromfile(str(ROOT / entry['Config']))
    meta = entry['Metadata']

    name, kwargs, label = _backbone(cfg)
    assert meta['Backbone'] == label
    flops, params = _complexity(name, kwargs)
    assert (meta['FLOPs'], meta['Parameters']) == (flops, params), \
        'stale figures: recount with python tools/analysis/get_flops.py'

    init = cfg.model.backbone.get('init_cfg')
    if init is None:
        assert meta['Pretrained'].startswith('none')
    else:
        assert meta['Pretrained'] == \
            f"{init['checkpoint']} (init_cfg type {init['type']})"
        # every ImageNet checkpoint a config names: tools/get_weights.py writes it
        command = get_weights_command(init['checkpoint'])
        assert command is not None, init['checkpoint']
        assert meta['Pretrained Command'] == command

    # builds as tools/train.py builds it, without reading the checkpoint
    cfg.model.backbone.init_cfg = None
    scope = cfg.default_scope
    registry = importlib.import_module(REGISTRY[scope]).MODELS
    with DefaultScope.overwrite_default_scope(scope):
        model = registry.build(cfg.model)
    assert type(model.backbone).__name__ == name
