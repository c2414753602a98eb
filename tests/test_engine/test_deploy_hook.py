from types import SimpleNamespace

import pytest
import torch.nn as nn
from mmengine.logging import MMLogger

from shufflenet_backbones.engine import DeployBackboneHook
from shufflenet_backbones.models import ShuffleNetV2


class Detector(nn.Module):

    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone


def test_switches_the_backbone_when_testing_starts():
    model = Detector(ShuffleNetV2(widen_factor=0.5, out_indices=(3, )))
    hook = DeployBackboneHook(model)
    assert not model.backbone.deploy  # nothing happens before the test starts
    runner = SimpleNamespace(model=model,
                             logger=MMLogger.get_instance('test_deploy_hook'))
    hook.before_test(runner)
    assert model.backbone.deploy
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())


def test_refuses_a_model_without_shufflenet_backbone():
    with pytest.raises(ValueError, match="backbone is Conv2d"):
        DeployBackboneHook(Detector(nn.Conv2d(3, 8, 3)))
    with pytest.raises(ValueError, match='backbone is NoneType'):
        DeployBackboneHook(nn.Conv2d(3, 8, 3))
