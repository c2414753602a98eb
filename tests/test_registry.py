"""How configs of mmdet, mmseg and mmpretrain reach our backbones."""
import json
import subprocess
import sys

import pytest
from mmengine.registry import DefaultScope

import shufflenet_backbones  # noqa: F401
from shufflenet_backbones.models import (ShuffleNetV1, ShuffleNetV2,
                                         ShuffleNetV2Star)

OURS = {'ShuffleNetV1': ShuffleNetV1, 'ShuffleNetV2': ShuffleNetV2,
        'ShuffleNetV2Star': ShuffleNetV2Star}


# Run in a fresh interpreter: in this one the package is imported already, so
# neither what custom_imports registers nor what the import pulls in would show.
FRESH_IMPORT = """
import json, sys
from mmengine.config import Config
from mmengine.utils import import_modules_from_strings
from mmdet.registry import MODELS as DET, TRANSFORMS as DET_TRANSFORMS
from mmseg.registry import MODELS as SEG, TRANSFORMS as SEG_TRANSFORMS
before = set(DET.module_dict) | set(SEG.module_dict) | set(SEG_TRANSFORMS.module_dict)
cfg = Config(dict(custom_imports=dict(imports=['shufflenet_backbones'],
                                      allow_failed_imports=False)))
import_modules_from_strings(**cfg.custom_imports)
after = set(DET.module_dict) | set(SEG.module_dict) | set(SEG_TRANSFORMS.module_dict)
print(json.dumps(dict(
    registered=sorted(after - before),
    modules=sorted(m for m in sys.modules if m.startswith('shufflenet_backbones')))))
"""
# The toolkit: what tools/ and users run; importing the plugin must not load it.
TOOLKIT = 'shufflenet_backbones.toolkit'


@pytest.fixture(scope='module')
def fresh_import(tool_env):
    """What a config's ``custom_imports`` registers in mmdet / mmseg, and which of
    the package's modules it imports, seen from a fresh interpreter."""
    result = subprocess.run([sys.executable, '-c', FRESH_IMPORT], env=tool_env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_custom_imports_registers_models_and_transforms(fresh_import):
    expected = {'ShuffleNetV1', 'ShuffleNetV2', 'ShuffleNetV2Star', 'SNet',
                'LightHeadRCNN', 'SelectRPNHead', 'LargeSeparableConv',
                'PSRoIExtractor', 'ThunderNet', 'ThunderNetNeck', 'LightRPNHead',
                'CheckSegLabels'}
    assert expected <= set(fresh_import['registered'])


def test_package_import_loads_no_toolkit_module(fresh_import):
    modules = fresh_import['modules']
    assert 'shufflenet_backbones.models.backbones.shufflenet_v2' in modules
    assert 'shufflenet_backbones.checkpoint.safe_unpickling' in modules
    toolkit = [m for m in modules if m == TOOLKIT or m.startswith(TOOLKIT + '.')]
    assert toolkit == []


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
