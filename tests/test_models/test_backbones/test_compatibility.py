"""mmpretrain checkpoints load into our backbones and give the same features."""
import pytest
import torch
from mmpretrain.models.backbones import ShuffleNetV1 as MMPretrainV1
from mmpretrain.models.backbones import ShuffleNetV2 as MMPretrainV2

from shufflenet_backbones.models import ShuffleNetV1, ShuffleNetV2


@pytest.mark.parametrize('ours_cls,theirs_cls,kwargs,indices', [
    (ShuffleNetV2, MMPretrainV2, dict(widen_factor=1.0), (0, 1, 2, 3)),
    (ShuffleNetV2, MMPretrainV2, dict(widen_factor=0.5), (0, 1, 2, 3)),
    (ShuffleNetV1, MMPretrainV1, dict(groups=3), (0, 1, 2)),
    (ShuffleNetV1, MMPretrainV1, dict(groups=8), (0, 1, 2)),
])
def test_mmpretrain_checkpoint_gives_same_features(randomise_bn, ours_cls,
                                                   theirs_cls, kwargs, indices,
                                                   tmp_path):
    theirs = randomise_bn(theirs_cls(out_indices=indices, **kwargs))
    # an mmpretrain ImageClassifier checkpoint: backbone.* plus head keys
    state = {f'backbone.{k}': v for k, v in theirs.state_dict().items()}
    state['head.fc.weight'] = torch.zeros(1000, 8)
    path = tmp_path / 'mmpretrain.pth'
    torch.save({'state_dict': state, 'meta': {'epoch': 1}}, path)

    ours = ours_cls(out_indices=(-1, ) + indices, **kwargs,
                    init_cfg=dict(type='Pretrained', checkpoint=str(path),
                                  prefix='backbone.'))
    ours.init_weights()
    ours.eval()
    assert set(ours.state_dict()) == set(theirs.state_dict())
    x = torch.rand(2, 3, 96, 96)
    with torch.no_grad():
        stem, *features = ours(x)
        expected = theirs(x)
    assert stem.shape[1] == 24 and len(features) == len(expected)
    for a, b in zip(features, expected):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)
