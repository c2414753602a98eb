"""Comparing a checkpoint's state dict with a model's (what tools/test.py checks
before testing; its error is tested end to end in tests/test_cli)."""
import torch

from shufflenet_backbones.checkpoint.state_dict import compare_state_dicts


def test_compare_state_dicts_names_missing_and_unexpected():
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 1), torch.nn.BatchNorm2d(4))
    ckpt = {k: v for k, v in model.state_dict().items() if k != '0.bias'}
    del ckpt['1.num_batches_tracked']  # not required
    ckpt['head.fc.weight'] = torch.zeros(2, 2)
    ckpt['0.weight'] = torch.zeros(8, 3, 1, 1)
    missing, unexpected, mismatched = compare_state_dicts(
        model.state_dict(), ckpt)
    assert missing == ['0.bias']
    assert unexpected == ['head.fc.weight']
    assert mismatched == ['0.weight (8, 3, 1, 1) vs (4, 3, 1, 1)']
