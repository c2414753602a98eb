"""How configs of mmdet, mmseg and mmpretrain reach our backbones."""
import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

import shufflenet_backbones  # noqa: F401
from shufflenet_backbones.models import ShuffleNetV1, ShuffleNetV2, ShuffleNetV2Star

OURS = {'ShuffleNetV1': ShuffleNetV1, 'ShuffleNetV2': ShuffleNetV2,
        'ShuffleNetV2Star': ShuffleNetV2Star}


def test_custom_imports_config_registers_the_package():
    cfg = Config(dict(custom_imports=dict(imports=['shufflenet_backbones'],
                                          allow_failed_imports=False)))
    from mmengine.utils import import_modules_from_strings
    import_modules_from_strings(**cfg.custom_imports)


@pytest.mark.parametrize('scope', ['mmdet', 'mmseg'])
@pytest.mark.parametrize('name', sorted(OURS))
def test_bare_names_build_in_mmdet_and_mmseg(scope, name):
    registry = __import__(f'{scope}.registry', fromlist=['MODELS']).MODELS
    with DefaultScope.overwrite_default_scope(scope):
        model = registry.build(dict(type=name, out_indices=(0, 1, 2)))
    assert type(model) is OURS[name]


def test_mmpretrain_keeps_its_own_and_reaches_ours_by_scope():
    from mmpretrain.models.backbones import ShuffleNetV2 as MMPretrainV2
    from mmpretrain.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        theirs = MODELS.build(dict(type='ShuffleNetV2'))
        ours = MODELS.build(dict(type='shufflenet_backbones.ShuffleNetV2'))
        star = MODELS.build(dict(type='shufflenet_backbones.ShuffleNetV2Star'))
    assert type(theirs) is MMPretrainV2
    assert type(ours) is ShuffleNetV2 and type(star) is ShuffleNetV2Star
    assert 'ShuffleNetV2Star' not in MODELS.module_dict


def test_a_name_clash_raises_instead_of_replacing():
    from mmdet.registry import MODELS
    with pytest.raises(KeyError, match='ShuffleNetV2'):
        MODELS.register_module(name='ShuffleNetV2', module=object)
    assert MODELS.get('ShuffleNetV2') is ShuffleNetV2
