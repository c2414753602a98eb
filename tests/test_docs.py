"""What README.md and docs/ tell users still works: every link and every file,
config and tools/ script they name exists, every command line's options are the
script's, every weights name is in the table, the config snippet builds in mmdet,
and the README's test command is the one CI runs."""
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from shufflenet_backbones.toolkit.weights.zoo import MODEL_ZOO

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / 'README.md'] + sorted((ROOT / 'docs').glob('*.md'))
README = (ROOT / 'README.md').read_text()


def _code_blocks(text: str, language: str = '') -> list:
    return re.findall(rf'```{language}\n(.*?)```', text, flags=re.S)


def _expand_braces(path: str) -> list:
    """``a{1,2}b`` -> ``a1b``, ``a2b`` (the docs write config families so);
    ``a{arch}b`` (a placeholder in a code example) -> ``a*b``."""
    match = re.search(r'\{([^{}]*)\}', path)
    if not match:
        return [path]
    options = match.group(1).split(',')
    if len(options) == 1:
        options = ['*']
    return [p for option in options
            for p in _expand_braces(path[:match.start()] + option +
                                    path[match.end():])]


def _named_paths(prefix: str) -> set:
    found = set()
    for page in PAGES:
        pattern = rf'(?<![\w/.]){prefix}/[\w./{{}},*-]*[\w*]'
        for path in re.findall(pattern, page.read_text()):
            found.update(_expand_braces(path))
    return found


@pytest.mark.parametrize('page', PAGES, ids=lambda p: p.name)
def test_links_resolve(page):
    targets = re.findall(r'\]\(([^)#\s]+)(?:#[^)]*)?\)', page.read_text())
    local = [t for t in targets if '://' not in t]
    missing = [t for t in local if not (page.parent / t).exists()]
    assert missing == []


@pytest.mark.parametrize('prefix', ['configs', 'tools'])
def test_named_files_exist(prefix):
    paths = _named_paths(prefix)
    assert paths, f'no {prefix}/ paths found: the pattern is wrong'
    # a glob (`tools/data/generate_*.py`) must match something
    missing = sorted(p for p in paths if not any(ROOT.glob(p)))
    assert missing == []


def test_weights_names_are_in_the_table():
    names = set()
    for page in PAGES:
        names.update(re.findall(r'tools/get_weights\.py ([a-z][\w.]+)',
                                page.read_text()))
    assert names, 'no get_weights.py commands found'
    assert sorted(names - set(MODEL_ZOO)) == []


def _readme_commands() -> dict:
    """script -> the options its README command lines use."""
    commands = {}
    for block in _code_blocks(README, 'bash'):
        for line in block.splitlines():
            match = re.match(r'python (tools/\S+\.py)(.*)', line.strip())
            if match:
                options = set(re.findall(r'(?<![\w-])(--[a-z][\w-]*)', match.group(2)))
                commands.setdefault(match.group(1), set()).update(options)
    return commands


README_COMMANDS = _readme_commands()


def test_readme_commands_were_found():
    assert {'tools/train.py', 'tools/test.py', 'tools/infer.py',
            'tools/deploy/export.py'} <= set(README_COMMANDS)


@pytest.mark.parametrize('script', sorted(README_COMMANDS))
def test_readme_command_options_are_the_scripts(script, tool_env):
    result = subprocess.run([sys.executable, str(ROOT / script), '--help'],
                            capture_output=True, text=True, env=tool_env,
                            cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    unknown = sorted(o for o in README_COMMANDS[script] if o not in result.stdout)
    assert unknown == []


def test_the_config_snippet_builds_in_mmdet():
    snippet = next(b for b in _code_blocks(README, 'python')
                   if 'custom_imports' in b)
    namespace = {}
    exec(snippet.replace('    ...)', '    )'), namespace)
    from mmdet.registry import MODELS
    from mmengine.utils import import_modules_from_strings
    import_modules_from_strings(**namespace['custom_imports'])
    backbone = MODELS.build(namespace['model']['backbone'])  # no weights loaded
    backbone.eval()
    with torch.no_grad():
        outputs = backbone(torch.zeros(1, 3, 64, 64))
    strides = [64 // out.shape[-1] for out in outputs]
    assert strides == [16, 32, 32]  # what the snippet's comment says


def test_the_readme_test_command_is_cis():
    assert 'bash tools/run_tests.sh' in _code_blocks(README, 'bash')[0]
    assert 'bash tools/run_tests.sh' in (ROOT / '.ci' / 'run').read_text()
