"""The dataset generator CLIs (tools/data/generate_*.py) reject bad counts and
sizes through argparse, naming the option, before writing anything."""
import pytest

from shufflenet_backbones.toolkit.cli import generate_data as cli

BAD = [('--num-train', '0'), ('--num-val', '-2'), ('--size', 'big')]
MAINS = {
    'generate_shapes_coco': cli.generate_shapes_coco_main,
    'generate_shapes_stuff': cli.generate_shapes_stuff_main,
    'generate_imagenet_folder': cli.generate_imagenet_folder_main,
}
CASES = [(tool, option, value) for tool in MAINS for option, value in BAD]
CASES += [(tool, '--max-objects', '0')
          for tool in ('generate_shapes_coco', 'generate_shapes_stuff')]


@pytest.mark.parametrize('tool,option,value', CASES)
def test_cli_rejects_bad_arguments(tmp_path, capsys, tool, option, value):
    with pytest.raises(SystemExit) as exit_info:
        MAINS[tool]([str(tmp_path / 'out'), option, value])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f'argument {option}: must be a positive integer, got {value!r}' in err
    assert not (tmp_path / 'out').exists()
