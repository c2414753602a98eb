"""Which init_cfg entries load a checkpoint (checkpoint/initializers.py):
``loads_checkpoint`` is true for an entry whose initialiser, by registered name or
as the class, says ``loads_checkpoint = True`` (``PretrainedV2``), false for any
other entry (mmengine's own ``Pretrained`` included) and for what is no entry; and
BaseShuffleNet holds such an entry back until every other init has run, so that
the checkpoint's weights are what the model ends with."""
import pytest
import torch
from mmengine.registry import WEIGHT_INITIALIZERS

import shufflenet_backbones  # noqa: F401  (registers PretrainedV2)
from shufflenet_backbones.checkpoint import loads_checkpoint
from shufflenet_backbones.models import ShuffleNetV2, ShuffleNetV2Star
from shufflenet_backbones.models.backbones import (PretrainedV2Init,
                                                   v2star_state_dict_from_v2)


class _LoadsAFile:
    loads_checkpoint = True


@pytest.mark.parametrize('init_cfg,expected', [
    (dict(type='PretrainedV2', checkpoint='v2.pth'), True),
    (dict(type=PretrainedV2Init, checkpoint='v2.pth'), True),
    (dict(type=_LoadsAFile), True),  # any class that says so, registered or not
    # mmengine holds back its own Pretrained itself
    (dict(type='Pretrained', checkpoint='x.pth'), False),
    (dict(type='Normal', layer='Conv2d', std=0.01), False),
    (dict(type='Kaiming'), False),
    (dict(type='NoSuchInit'), False),  # unregistered: mmengine names it later
    (dict(checkpoint='v2.pth'), False),  # no type
    (None, False),
    ('PretrainedV2', False),  # no dict
    ([dict(type='PretrainedV2', checkpoint='v2.pth')], False),  # a list, not one
])
def test_loads_checkpoint(init_cfg, expected):
    assert loads_checkpoint(init_cfg) is expected


def test_pretrained_v2_says_it_loads_a_checkpoint():
    assert WEIGHT_INITIALIZERS.get('PretrainedV2').loads_checkpoint is True


@pytest.mark.parametrize('order', ['normal_first', 'pretrained_v2_first'])
def test_base_shufflenet_loads_such_an_entry_last(tmp_path, order):
    """A Normal init of every conv, listed before or after ``PretrainedV2``, and
    conv1's ConvModule init (which mmengine runs after the init_cfg entries) do
    not touch what the V2 file gives: the model ends with exactly V2's weights
    (and identity extra convs)."""
    v2 = ShuffleNetV2(0.5)
    for param in v2.parameters():  # unlike what any init gives
        torch.nn.init.uniform_(param, 0.5, 1.5)
    path = str(tmp_path / 'v2.pth')
    torch.save({'state_dict': v2.state_dict()}, path)
    entries = [dict(type='Normal', layer='Conv2d', std=0.01),
               dict(type='PretrainedV2', checkpoint=path)]
    init_cfg = entries if order == 'normal_first' else entries[::-1]
    star = ShuffleNetV2Star(0.5, init_cfg=init_cfg)
    star.init_weights()
    expected, _ = v2star_state_dict_from_v2(v2.state_dict(), ShuffleNetV2Star(0.5))
    ours = star.state_dict()
    assert list(ours) == list(expected)
    changed = [k for k, v in expected.items() if not torch.equal(ours[k], v)]
    assert changed == []
    assert star.init_cfg == init_cfg  # as given (for the log and repr)
