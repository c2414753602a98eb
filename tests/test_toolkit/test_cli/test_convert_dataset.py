"""tools/data/convert.py (shufflenet_backbones.toolkit.cli.convert_dataset): the
summary it prints, its options, and one ``convert.py: error:`` line with exit code
1 for bad input, before writing anything."""
import json
from pathlib import Path

import pytest

from shufflenet_backbones.toolkit.cli import convert_dataset as cli

REAL_VOC = Path(__file__).resolve().parents[2] / 'data' / 'real' / 'voc'


def _categories(dst: Path):
    coco = json.loads((dst / 'annotations' / 'instances_train.json').read_text())
    return [(c['id'], c['name']) for c in coco['categories']]


def test_converts_and_prints_a_summary(tmp_path, capsys):
    dst = tmp_path / 'out'
    assert cli.main([str(REAL_VOC), str(dst), '--from', 'voc', '--val-fraction',
                     '0.5', '--seed', '1']) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith('Read 2 images (0 without objects) and 98 boxes of 3 '
                             'classes (Alive, Dead, Tree) from ')
    assert out[1] == 'Split: 0.5 of the images to val (--seed 1).'
    assert out[2].startswith('train: 1 images, ')
    assert out[3].startswith('val: 1 images, ')
    assert out[4] == ('Images symlinked (--copy copies them). Train with: '
                      f'python tools/train.py CONFIG --data {dst}')
    assert _categories(dst) == [(1, 'Alive'), (2, 'Dead'), (3, 'Tree')]
    assert all(p.is_symlink() for p in (dst / 'train').iterdir())


def test_classes_file_and_copy(tmp_path, capsys):
    classes = tmp_path / 'classes.txt'
    classes.write_text('Tree\nDead\nAlive\n\n')
    dst = tmp_path / 'out'
    assert cli.main([str(REAL_VOC), str(dst), '--from', 'voc', '--copy',
                     '--classes', str(classes)]) == 0
    assert _categories(dst) == [(1, 'Tree'), (2, 'Dead'), (3, 'Alive')]
    assert not any(p.is_symlink() for p in (dst / 'train').iterdir())
    assert 'Images copied.' in capsys.readouterr().out


@pytest.mark.parametrize('args,message', [
    (['--classes', '{tmp}/missing.txt'], 'missing.txt: cannot read the class names'),
    (['--classes', '{tmp}/two.txt'], "label 'Alive' is not one of the classes of "
     "--classes ['Tree', 'Dead']"),
])
def test_bad_input_is_one_error_line(tmp_path, capsys, args, message):
    (tmp_path / 'two.txt').write_text('Tree\nDead\n')
    args = [a.format(tmp=tmp_path) for a in args]
    with pytest.raises(SystemExit) as exit_info:
        cli.main([str(REAL_VOC), str(tmp_path / 'out'), '--from', 'voc'] + args)
    assert exit_info.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith('convert.py: error: ') and message in err
    assert len(err.splitlines()) == 1
    assert not (tmp_path / 'out').exists()


def test_missing_voc_folder_names_it(tmp_path, capsys):
    (tmp_path / 'src' / 'Annotations').mkdir(parents=True)
    with pytest.raises(SystemExit) as exit_info:
        cli.main([str(tmp_path / 'src'), str(tmp_path / 'out'), '--from', 'voc'])
    assert exit_info.value.code == 1
    assert capsys.readouterr().err == (
        f"convert.py: error: {tmp_path / 'src' / 'JPEGImages'}: not found; a VOC "
        'source needs SRC/Annotations/*.xml and SRC/JPEGImages/\n')


@pytest.mark.parametrize('args,message', [
    (['--val-fraction', '1'], 'argument --val-fraction: must be a number between 0 '
     "and 1 (exclusive), got '1'"),
    (['--val-fraction', 'half'], 'argument --val-fraction: must be a number'),
    (['--from', 'kitti'], "argument --from: invalid choice: 'kitti'"),
    (['--tile', '0'], "argument --tile: must be a positive whole number of pixels, "
     "got '0'"),
    (['--tile', '200', '--tile-overlap', '1'], 'argument --tile-overlap: must be a '
     "number in [0, 1), got '1'"),
    (['--tile-overlap', '0.2'], '--tile-overlap needs --tile SIZE'),
])
def test_bad_options_are_rejected_by_argparse(tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([str(REAL_VOC), str(tmp_path / 'out'), '--from', 'voc'] + args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / 'out').exists()


def test_tile_option_cuts_the_photographs(tmp_path, capsys):
    dst = tmp_path / 'out'
    assert cli.main([str(REAL_VOC), str(dst), '--from', 'voc', '--tile', '200',
                     '--tile-overlap', '0.5']) == 0
    out = capsys.readouterr().out
    assert out.startswith('Read 18 tiles (')
    assert 'note: cut 2 images into 18 tiles of 200 px (overlap 0.5)' in out
    assert 'Images written as tile files.' in out
    assert len(list((dst / 'train').iterdir())) + len(
        list((dst / 'val').iterdir())) == 18
