import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torchvision
from mmengine.registry import DefaultScope
from mmengine.runner import load_checkpoint
from mmpretrain.registry import MODELS as PRETRAIN_MODELS

import shufflenet_backbones  # noqa: F401

CONVERTER = (Path(__file__).parents[3] / 'tools' / 'model_converters' /
             'torchvision2shufflenet.py')


def classifier(widen_factor, in_channels):
    """mmpretrain ImageClassifier around our backbone (how cls configs use it)."""
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return PRETRAIN_MODELS.build(
            dict(type='ImageClassifier',
                 backbone=dict(type='shufflenet_backbones.ShuffleNetV2',
                               widen_factor=widen_factor),
                 neck=dict(type='GlobalAveragePooling'),
                 head=dict(type='LinearClsHead', num_classes=1000,
                           in_channels=in_channels)))


@pytest.mark.parametrize('widen_factor,arch,conv5', [
    (0.5, 'shufflenet_v2_x0_5', 1024),
    (1.0, 'shufflenet_v2_x1_0', 1024),
    (2.0, 'shufflenet_v2_x2_0', 2048),
])
def test_torchvision_converter_gives_same_logits(run_tool, randomise_bn, widen_factor,
                                                 arch, conv5,
                                                 tmp_path):
    reference = randomise_bn(getattr(torchvision.models, arch)())
    src, dst = tmp_path / 'tv.pth', tmp_path / 'converted.pth'
    torch.save(reference.state_dict(), src)
    assert run_tool(CONVERTER, src, dst).returncode == 0

    model = classifier(widen_factor, conv5)
    load_checkpoint(model, str(dst), map_location='cpu', strict=True)
    model.eval()
    x = torch.randn(2, 3, 128, 128)
    with torch.no_grad():
        torch.testing.assert_close(model(x, mode='tensor'), reference(x),
                                   rtol=1e-5, atol=1e-5)


def test_converter_rejects_other_checkpoints(tmp_path):
    src = tmp_path / 'resnet.pth'
    torch.save(torchvision.models.resnet18().state_dict(), src)
    result = subprocess.run(
        [sys.executable, str(CONVERTER), str(src), str(tmp_path / 'out.pth')],
        capture_output=True, text=True)
    assert result.returncode != 0
    assert 'not a torchvision ShuffleNetV2 state dict' in result.stderr
    assert not (tmp_path / 'out.pth').exists()
