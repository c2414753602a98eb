"""tools/data/check_anchors.py (shufflenet_backbones/toolkit/cli/check_anchors.py):
the anchor check's figures on the quickstart demo and its data, the warning on small
objects, --auto-anchors with --out writing a config whose fitted anchors match more
boxes, and one error line per bad input. In-process but for one run of the
launcher; a few seconds."""
import json
from pathlib import Path

import pytest
from mmengine import Config

from shufflenet_backbones.toolkit.cli import check_anchors as tool
from shufflenet_backbones.toolkit.data import (anchor_check,
                                               generate_shapes_coco)

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / 'configs/det/lighthead_shufflenetv2_shapes_demo.py'
LAUNCHER = ROOT / 'tools/data/check_anchors.py'


@pytest.fixture(scope='module')
def shapes(tmp_path_factory) -> Path:
    """The quickstart's generated data (fewer images)."""
    root = tmp_path_factory.mktemp('shapes') / 'data'
    generate_shapes_coco(str(root), num_train=40, num_val=2)
    return root


@pytest.fixture(scope='module')
def small(tmp_path_factory) -> Path:
    """Objects of 6-13 px: below the demo's smallest anchor (32 px)."""
    root = tmp_path_factory.mktemp('small') / 'data'
    generate_shapes_coco(str(root), num_train=40, num_val=2, max_objects=3,
                         size_range=(0.05, 0.1))
    return root


def share_below_pos(stdout: str) -> float:
    line = next(line for line in stdout.splitlines() if 'below pos_iou_thr' in line)
    return float(line.split('below pos_iou_thr 0.7: ')[1].split('%')[0]) / 100


def test_launcher_prints_the_figures(shapes, run_tool):
    result = run_tool(LAUNCHER, DEMO, '--data', shapes)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f'--data {shapes}: 3 classes')
    check = next(i for i, line in enumerate(lines) if line.startswith('anchor check'))
    assert 'at the train scale (Resize (128, 128), keep_ratio=True)' in lines[check]
    assert lines[check + 1].startswith('  box size sqrt(w*h) px (min, p10, p25, '
                                       'median, p75, p90, max): ')
    assert 'ratios h/w 0.5, 1, 2' in lines[check + 3]
    assert 'below min_pos_iou 0.3: 0.0%' in lines[check + 4]
    assert 0 < share_below_pos(result.stdout) < anchor_check.UNMATCHED_WARN_SHARE
    assert not any(line.startswith('warning') for line in lines)


def test_without_data_the_config_s_dataset(shapes, capsys):
    tool.main([str(DEMO), '--cfg-options',
               f'train_dataloader.dataset.data_root={shapes}'])
    out = capsys.readouterr().out
    assert out.startswith('anchor check: ') and str(shapes) in out.splitlines()[0]


def test_small_objects_warn(small, capsys):
    tool.main([str(DEMO), '--data', str(small)])
    warning = capsys.readouterr().out.strip().splitlines()[-1]
    assert warning.startswith('warning: the anchors (model.rpn_head.anchor_generator)'
                              ' fit the data badly: ')
    assert 'smaller than the smallest anchor (32 px)' in warning


def test_auto_anchors_out_writes_the_fitted_config(small, tmp_path, capsys):
    out_file = tmp_path / 'fitted.py'
    tool.main([str(DEMO), '--data', str(small), '--auto-anchors', '--out',
               str(out_file)])
    out = capsys.readouterr().out
    assert f'config written: {out_file}' in out
    line = next(line for line in out.splitlines() if 'boxes below pos_iou_thr' in line)
    before, after = (float(v.split('%')[0]) for v in
                     line.split('pos_iou_thr 0.7: ')[1].split(';')[0].split(' -> '))
    assert after < before

    written = Config.fromfile(str(out_file))
    generator = written.model.rpn_head.anchor_generator
    assert generator.scales != [2, 4, 8] and len(generator.scales) == 3
    assert len(generator.ratios) == 3
    assert written.train_dataloader.dataset.data_root == str(small)
    # checked again, the written config's anchors match more boxes
    tool.main([str(out_file)])
    again = share_below_pos(capsys.readouterr().out)
    assert again == pytest.approx(after / 100, abs=1e-3)


def test_auto_anchors_without_out_change_nothing(small, capsys):
    tool.main([str(DEMO), '--data', str(small), '--auto-anchors'])
    out = capsys.readouterr().out
    assert 'auto anchors (model.rpn_head.anchor_generator): scales ' in out
    assert 'config written' not in out
    # fitted: the warning no longer suggests --auto-anchors (or there is none)
    assert '--auto-anchors' not in out


@pytest.mark.parametrize('argv, message', [
    (['missing.py'], 'check_anchors.py: error: config file not found: missing.py'),
    ([str(DEMO), '--data', '/nonexistent'],
     'check_anchors.py: error: --data /nonexistent: not a folder'),
])
def test_errors_are_one_line(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        tool.main(argv)
    assert exit_.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(message)


def test_anchor_free_and_non_coco_configs_are_one_line(tmp_path, capsys):
    config = tmp_path / 'fcos.py'
    config.write_text('model = dict(type="FCOS", bbox_head=dict(type="FCOSHead"))\n')
    with pytest.raises(SystemExit):
        tool.main([str(config)])
    assert 'error: the model has no anchor generator' in capsys.readouterr().err
    ann = tmp_path / 'a.json'
    ann.write_text(json.dumps(dict(images=[], annotations=[], categories=[])))
    with pytest.raises(SystemExit):
        tool.main([str(DEMO), '--cfg-options',
                   f'train_dataloader.dataset.ann_file={ann}'])
    assert f"error: Annotation file '{ann}' lists no images" in capsys.readouterr().err


def test_out_must_be_a_python_file(capsys):
    with pytest.raises(SystemExit) as exit_:
        tool.main([str(DEMO), '--out', 'fitted.json'])
    assert exit_.value.code == 2
    assert "argument --out: must be a .py file, got 'fitted.json'" in \
        capsys.readouterr().err
