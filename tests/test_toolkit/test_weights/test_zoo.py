"""tools/get_weights.py and its table (shufflenet_backbones/toolkit/weights/zoo.py).

No machine here can download, so each test writes the source file itself (random
weights, saved the way torchvision or mmpretrain saves them) and points the table
entry at it with a ``file://`` URL and the file's real hash.
"""
import hashlib
import importlib.util
import os
import sys
import types
from dataclasses import replace
from pathlib import Path

import pytest
import torch
import torchvision
from mmengine.registry import DefaultScope
from mmengine.runner import load_checkpoint
from mmpretrain.registry import MODELS as PRETRAIN_MODELS

from shufflenet_backbones.models import ShuffleNetV2, ShuffleNetV2Star
from shufflenet_backbones.toolkit.cli.get_weights import main
from shufflenet_backbones.toolkit.weights import converters, zoo
from shufflenet_backbones.toolkit.weights.fetch import fetch
from shufflenet_backbones.toolkit.weights.zoo import MODEL_ZOO, FetchError

TOOL = Path(__file__).parents[3] / 'tools' / 'get_weights.py'
V2STAR_MODULE = 'shufflenet_backbones.toolkit.weights.v2star_conversion'


def sha256_of(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def serve(monkeypatch, name, path, sha256=None):
    """Point the table entry ``name`` at the local file ``path``."""
    entry = replace(MODEL_ZOO[name], url=Path(path).as_uri(),
                    sha256=sha256 or sha256_of(path)[:10])
    monkeypatch.setitem(MODEL_ZOO, name, entry)
    return entry


def classifier(backbone: dict, in_channels: int):
    """An mmpretrain ImageClassifier (what configs/cls builds) around ``backbone``."""
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return PRETRAIN_MODELS.build(
            dict(type='ImageClassifier', backbone=backbone,
                 neck=dict(type='GlobalAveragePooling'),
                 head=dict(type='LinearClsHead', num_classes=1000,
                           in_channels=in_channels))).eval()


@pytest.fixture
def torchvision_file(tmp_path, randomise_bn):
    """torchvision's shufflenet_v2_x0_5 with random weights, saved as torchvision
    publishes it (a bare state dict), and the model."""
    model = randomise_bn(torchvision.models.shufflenet_v2_x0_5())
    path = tmp_path / 'src' / 'shufflenetv2_x0.5-0000000000.pth'
    path.parent.mkdir()
    torch.save(model.state_dict(), path)
    return path, model


def test_table_entries_are_complete():
    for name, entry in MODEL_ZOO.items():
        assert entry.url.startswith('https://'), name
        assert entry.sha256 and set(entry.sha256) <= set('0123456789abcdef'), name
        # the prefix published in the file name is what the table holds
        assert f'-{entry.sha256}.pth' in entry.url, name
        assert all(step in converters.CONVERTERS for step in entry.converters), name
        assert entry.preprocessing.color == 'RGB', name
        assert (entry.top1 is None) == name.endswith('_from_v2'), name
    # the names the configs' checkpoints ask for, each written by some entry
    for filename in ('shufflenetv2_x1_0.pth', 'shufflenetv1_g3_x1_0.pth',
                     'shufflenetv2star_x1_0.pth', 'shufflenetv2_x0_5.pth'):
        assert zoo.names_for_file(filename), filename
    assert zoo.get_weights_command('checkpoints/shufflenetv2_x1_0.pth') == \
        'python tools/get_weights.py shufflenetv2_x1_0'
    assert zoo.get_weights_command('checkpoints/other.pth') is None


def test_torchvision_weights_give_torchvision_logits(monkeypatch, tmp_path,
                                                     torchvision_file):
    src, reference = torchvision_file
    serve(monkeypatch, 'shufflenetv2_x0_5', src)
    out_dir = tmp_path / 'checkpoints'
    lines = []
    path = fetch('shufflenetv2_x0_5', str(out_dir), log=lines.append)

    assert path == str(out_dir / 'shufflenetv2_x0_5.pth')
    assert os.listdir(out_dir) == ['shufflenetv2_x0_5.pth']  # no temp file left
    assert sha256_of(src) in lines[0]  # the full hash, to fill in the table
    meta = torch.load(path, weights_only=True)['meta']
    assert meta['model_zoo_name'] == 'shufflenetv2_x0_5'
    assert meta['sha256'] == sha256_of(src)

    model = classifier(dict(type='shufflenet_backbones.ShuffleNetV2',
                            widen_factor=0.5), 1024)
    load_checkpoint(model, path, map_location='cpu', strict=True)
    x = torch.randn(2, 3, 96, 96)
    with torch.no_grad():
        torch.testing.assert_close(model(x, mode='tensor'), reference(x),
                                   rtol=1e-5, atol=1e-5)


def test_mmpretrain_weights_give_mmpretrain_logits(monkeypatch, tmp_path,
                                                   randomise_bn):
    theirs = classifier(dict(type='ShuffleNetV1', groups=3), 960)  # mmpretrain's
    randomise_bn(theirs)
    src = tmp_path / 'shufflenet_v1_batch1024_imagenet_20200804-00000000.pth'
    # as mmcls 0.x saved it (publish_model.py drops the optimizer)
    torch.save(
        dict(meta=dict(mmcls_version='0.5.0', epoch=300, config='model = ...',
                       CLASSES=['tench', 'goldfish']),
             state_dict=theirs.state_dict()), src)
    # the full sha256 this time
    serve(monkeypatch, 'shufflenetv1_g3_x1_0', src, sha256=sha256_of(src))
    path = fetch('shufflenetv1_g3_x1_0', str(tmp_path / 'out'), log=lambda _: None)
    assert Path(path).name == 'shufflenetv1_g3_x1_0.pth'

    ours = classifier(dict(type='shufflenet_backbones.ShuffleNetV1', groups=3), 960)
    load_checkpoint(ours, path, map_location='cpu', strict=True)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(ours(x, mode='tensor'),
                                   theirs(x, mode='tensor'), rtol=1e-5,
                                   atol=1e-5)


def test_wrong_hash_is_one_line_and_leaves_no_file(monkeypatch, tmp_path,
                                                   torchvision_file):
    src, _ = torchvision_file
    serve(monkeypatch, 'shufflenetv2_x0_5', src, sha256='0123abcd')
    out_dir = tmp_path / 'checkpoints'
    out_dir.mkdir()
    earlier = out_dir / 'shufflenetv2_x0_5.pth'
    earlier.write_bytes(b'earlier file')
    with pytest.raises(FetchError) as err:
        fetch('shufflenetv2_x0_5', str(out_dir), log=lambda _: None)
    msg = str(err.value)
    assert '\n' not in msg
    assert msg.startswith('shufflenetv2_x0_5: sha256 mismatch')
    assert 'expected prefix 0123abcd' in msg and sha256_of(src) in msg
    # nothing written, nothing left, the earlier file untouched
    assert os.listdir(out_dir) == ['shufflenetv2_x0_5.pth']
    assert earlier.read_bytes() == b'earlier file'


def test_failed_download_is_one_line_and_leaves_no_file(monkeypatch, tmp_path):
    missing = tmp_path / 'no_such_file.pth'
    serve(monkeypatch, 'shufflenetv2_x1_0', missing, sha256='5666bf0f80')
    out_dir = tmp_path / 'checkpoints'
    with pytest.raises(FetchError) as err:
        fetch('shufflenetv2_x1_0', str(out_dir), log=lambda _: None)
    msg = str(err.value)
    assert '\n' not in msg
    assert msg.startswith('shufflenetv2_x1_0: download failed: file://')
    assert str(missing) in msg
    assert not out_dir.exists()  # the directory it made is gone again


def test_unknown_name_lists_similar_names(tmp_path):
    with pytest.raises(FetchError) as err:
        fetch('shufflenetv2_x1', str(tmp_path / 'out'))
    msg = str(err.value)
    assert '\n' not in msg
    assert "unknown weights name 'shufflenetv2_x1'" in msg
    assert 'shufflenetv2_x1_0' in msg and 'shufflenetv1_g3_x1_0' not in msg
    assert not (tmp_path / 'out').exists()


def test_converted_file_must_fit_the_backbone(monkeypatch, tmp_path, randomise_bn):
    # a genuine-looking file of another width under the 0.5x name
    src = tmp_path / 'x1.pth'
    torch.save(torchvision.models.shufflenet_v2_x1_0().state_dict(), src)
    serve(monkeypatch, 'shufflenetv2_x0_5', src)
    out_dir = tmp_path / 'checkpoints'
    with pytest.raises(FetchError, match='does not fit .* another shape'):
        fetch('shufflenetv2_x0_5', str(out_dir), log=lambda _: None)
    assert not out_dir.exists()


def _fake_v2_to_v2star(src: str, dst: str) -> None:
    """Stands in for the V2 -> V2* conversion: V2*'s own weights, with V2's
    tensors wherever a key and shape match."""
    v2 = torch.load(src, weights_only=True)['state_dict']
    width = {48: 0.5, 116: 1.0}[v2['backbone.layers.0.0.branch2.2.conv.weight']
                                .shape[0] * 2]
    state = {f'backbone.{k}': v
             for k, v in ShuffleNetV2Star(widen_factor=width).state_dict().items()}
    state.update({k: v for k, v in v2.items()
                  if k not in state or state[k].shape == v.shape})
    torch.save(dict(state_dict=state, meta=dict(fake=True)), dst)


def test_v2star_from_v2(monkeypatch, tmp_path, torchvision_file):
    """The _from_v2 entries: the V2 download, its conversion, then v2_to_v2star
    (found by name when the step runs). With the real module, the V2* written
    computes torchvision's function (its extra convs are the identity); a stand-in
    while that module does not exist."""
    real = importlib.util.find_spec(V2STAR_MODULE) is not None
    if not real:
        fake = types.ModuleType(V2STAR_MODULE)
        function = converters.CONVERTERS['v2_to_v2star'].partition(':')[2]
        setattr(fake, function, _fake_v2_to_v2star)
        monkeypatch.setitem(sys.modules, V2STAR_MODULE, fake)
    src, reference = torchvision_file
    serve(monkeypatch, 'shufflenetv2star_x0_5_from_v2', src)
    out_dir = tmp_path / 'checkpoints'
    path = fetch('shufflenetv2star_x0_5_from_v2', str(out_dir), log=lambda _: None)
    assert Path(path).name == 'shufflenetv2star_x0_5.pth'
    assert os.listdir(out_dir) == ['shufflenetv2star_x0_5.pth']

    converted = torch.load(path, weights_only=True)['state_dict']
    v2_keys = {f'backbone.{k}' for k in ShuffleNetV2(widen_factor=0.5).state_dict()}
    assert not set(converted) <= v2_keys  # V2*'s extra convs are in the file
    model = classifier(
        dict(type='shufflenet_backbones.ShuffleNetV2Star', widen_factor=0.5), 1024)
    load_checkpoint(model, path, map_location='cpu', strict=True)
    if real:
        x = torch.randn(2, 3, 96, 96)
        with torch.no_grad():
            torch.testing.assert_close(model(x, mode='tensor'), reference(x),
                                       rtol=1e-5, atol=1e-5)
    else:  # the V2 weights made it through (the stem is the same in V2 and V2*)
        torch.testing.assert_close(model.backbone.conv1.conv.weight,
                                   reference.conv1[0].weight)


def test_missing_converter_module_is_one_line(monkeypatch, tmp_path,
                                              torchvision_file):
    monkeypatch.setitem(converters.CONVERTERS, 'v2_to_v2star',
                        'shufflenet_backbones.toolkit.weights.no_such_module:convert')
    src, _ = torchvision_file
    serve(monkeypatch, 'shufflenetv2star_x0_5_from_v2', src)
    out_dir = tmp_path / 'checkpoints'
    with pytest.raises(FetchError) as err:
        fetch('shufflenetv2star_x0_5_from_v2', str(out_dir), log=lambda _: None)
    assert "converter 'v2_to_v2star' needs shufflenet_backbones.toolkit.weights." \
        'no_such_module' in str(err.value)
    assert not out_dir.exists()


def test_main_prints_the_init_cfg_line(monkeypatch, tmp_path, torchvision_file,
                                       capsys):
    src, _ = torchvision_file
    serve(monkeypatch, 'shufflenetv2_x0_5', src)
    out_dir = tmp_path / 'ckpts'
    main(['shufflenetv2_x0_5', '--dir', str(out_dir)])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last == ("init_cfg=dict(type='Pretrained', checkpoint="
                    f"'{out_dir / 'shufflenetv2_x0_5.pth'}', prefix='backbone.')")
    with pytest.raises(SystemExit) as exit_:
        main(['no_such_name', '--dir', str(out_dir)])
    assert exit_.value.code == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("get_weights.py: error: unknown weights name 'no_such_name'")


def test_tool_end_to_end(run_tool, tmp_path, torchvision_file):
    """As a user runs it, with --src: a random file does not match the published
    hash (one line, nothing written); the same file with its hash in the table
    (patched in a wrapper that runs the tool) is converted and placed."""
    src, _ = torchvision_file
    out_dir = tmp_path / 'checkpoints'
    result = run_tool(TOOL, 'shufflenetv2_x0_5', '--src', src, '--dir', out_dir)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f'get_weights.py: error: shufflenetv2_x0_5: sha256 mismatch for {src}: '
        f'expected prefix f707e7126e, got {sha256_of(src)}'
    ]
    assert not out_dir.exists()

    wrapper = tmp_path / 'with_test_hash.py'
    # the tool's main with the table's hash replaced by the test file's
    wrapper.write_text(
        'import sys\n'
        'from dataclasses import replace\n'
        'from shufflenet_backbones.toolkit.cli import get_weights\n'
        'from shufflenet_backbones.toolkit.weights import zoo\n'
        "name = 'shufflenetv2_x0_5'\n"
        'zoo.MODEL_ZOO[name] = replace(zoo.MODEL_ZOO[name],\n'
        '                              sha256=sys.argv[1])\n'
        'get_weights.main(sys.argv[2:])\n')
    result = run_tool(wrapper, sha256_of(src)[:10], 'shufflenetv2_x0_5',
                      '--src', src, '--dir', out_dir)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (out_dir / 'shufflenetv2_x0_5.pth').is_file()
    assert result.stdout.strip().splitlines()[-1] == (
        "init_cfg=dict(type='Pretrained', checkpoint="
        f"'{out_dir / 'shufflenetv2_x0_5.pth'}', prefix='backbone.')")
