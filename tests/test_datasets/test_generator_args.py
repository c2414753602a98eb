"""The dataset generator CLIs of tools/data reject bad counts and sizes through
argparse, naming the option, before writing anything."""
import runpy
import sys
from pathlib import Path

import pytest

DATA_TOOLS = Path(__file__).parents[2] / 'tools' / 'data'
BAD = [('--num-train', '0'), ('--num-val', '-2'), ('--size', 'big')]
CASES = [(cli, option, value)
         for cli in ('generate_shapes_coco.py', 'generate_shapes_stuff.py',
                     'generate_imagenet_folder.py') for option, value in BAD]
CASES += [(cli, '--max-objects', '0')
          for cli in ('generate_shapes_coco.py', 'generate_shapes_stuff.py')]


@pytest.mark.parametrize('cli,option,value', CASES)
def test_cli_rejects_bad_arguments(tmp_path, monkeypatch, capsys, cli, option,
                                   value):
    path = str(DATA_TOOLS / cli)
    monkeypatch.setattr(sys, 'argv', [path, str(tmp_path / 'out'), option, value])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(path, run_name='__main__')
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f'argument {option}: must be a positive integer, got {value!r}' in err
    assert not (tmp_path / 'out').exists()
