"""Errors and edge cases of the backbone extraction (tools/model_converters/
extract_backbone.py); extracting from a trained classifier is tested end to end in
tests/test_configs/test_cls_configs.py."""
import pytest
import torch

from shufflenet_backbones.toolkit.cli.extract_backbone import main


def test_extract_missing_file(tmp_path, capsys):
    missing = str(tmp_path / 'nope.pth')
    with pytest.raises(SystemExit) as exit_info:
        main([missing, str(tmp_path / 'out.pth')])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert f'checkpoint not found: {missing}' in err and 'Traceback' not in err
    assert not (tmp_path / 'out.pth').exists()


def test_extract_without_backbone_keys(tmp_path, capsys):
    src = str(tmp_path / 'head_only.pth')
    torch.save(dict(state_dict={'head.fc.weight': torch.zeros(2, 2)}), src)
    with pytest.raises(SystemExit) as exit_info:
        main([src, str(tmp_path / 'out.pth')])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert 'no "backbone.*" weights' in err and 'head.fc.weight' in err
    assert not (tmp_path / 'out.pth').exists()


def test_extract_strips_ddp_prefix(tmp_path):
    src, dst = str(tmp_path / 'ddp.pth'), str(tmp_path / 'out.pth')
    weight = torch.randn(3)
    torch.save({'module.backbone.conv1.bn.weight': weight,
                'module.head.fc.bias': torch.zeros(2)}, src)
    main([src, dst])
    out = torch.load(dst, map_location='cpu', weights_only=True)
    assert list(out['state_dict']) == ['backbone.conv1.bn.weight']
    assert torch.equal(out['state_dict']['backbone.conv1.bn.weight'], weight)
