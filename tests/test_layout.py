"""The tree's rules (docs/layout.md), checked on the source rather than by eye:
the import layers (the plugin imports no toolkit module, no module imports from a
higher layer), argparse only in the commands package, tools/ scripts as launchers,
one module per file name, the benchmarks outside the wheel, a test file per plugin
module, and a layout doc that names every package folder and tools/ script."""
import ast
import configparser
import setuptools
from pathlib import Path
from typing import Dict, List, NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = 'shufflenet_backbones'

# Low to high; a module may import from its own layer or a lower one. Names are
# module paths inside the package ('' is the package itself, i.e. its __init__).
LAYERS = [
    ('version', 'registry'),
    ('checkpoint', ),
    ('ops', ),
    ('models', ),
    ('datasets', ),
    ('engine', 'visualization'),
    ('', ),  # the plugin's entry point: imports the plugin's parts
    ('toolkit', 'toolkit.errors'),
    ('toolkit.data', 'toolkit.weights', 'toolkit.analysis'),
    ('toolkit.inference', ),
    ('toolkit.deploy', ),
    ('toolkit.benchmarks', ),
    ('toolkit.cli', ),
]
COMMANDS = 'toolkit.cli'
# run from a checkout only (setup.cfg leaves them out of the wheel)
NOT_SHIPPED = ('toolkit.benchmarks', 'toolkit.cli.benchmarks')
# plugin modules with no behaviour of their own to test
NO_TEST_FILE = {'version'}


class Module(NamedTuple):
    name: str  # inside the package, e.g. 'models.layers.shuffle_units'
    path: Path
    tree: ast.Module


def _modules() -> List[Module]:
    found = []
    for path in sorted((ROOT / PACKAGE).rglob('*.py')):
        parts = path.relative_to(ROOT / PACKAGE).with_suffix('').parts
        if parts[-1] == '__init__':
            parts = parts[:-1]
        found.append(Module('.'.join(parts), path, ast.parse(path.read_text())))
    return found


MODULES = _modules()


def _within(name: str, prefix: str) -> bool:
    """Whether module ``name`` is ``prefix`` or inside it ('' only the package)."""
    if not prefix:
        return name == ''
    return name == prefix or name.startswith(prefix + '.')


def layer_of(name: str) -> int:
    """Index in LAYERS of the longest prefix that ``name`` falls under."""
    best, best_len = None, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if _within(name, prefix) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    assert best is not None, f'{name} is in no layer: add it to LAYERS and the doc'
    return best


def package_imports(module: Module) -> Dict[str, int]:
    """The package's modules that ``module`` imports (anywhere in it, also inside
    functions), each with the line it is imported on."""
    is_package = module.path.name == '__init__.py'
    here = module.name.split('.') if module.name else []
    if not is_package:
        here = here[:-1]
    imports = {}
    for node in ast.walk(module.tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[:len(here) - (node.level - 1)]
                target = '.'.join(base + ([node.module] if node.module else []))
            elif node.module == PACKAGE or (node.module or '').startswith(
                    PACKAGE + '.'):
                target = node.module[len(PACKAGE) + 1:]
            else:
                continue
            # `from . import x` imports the submodule x where there is one
            for alias in node.names:
                sub = f'{target}.{alias.name}' if target else alias.name
                name = sub if any(m.name == sub for m in MODULES) else target
                imports.setdefault(name, node.lineno)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == PACKAGE or alias.name.startswith(PACKAGE + '.'):
                    imports.setdefault(alias.name[len(PACKAGE) + 1:], node.lineno)
    return imports


def _is_toolkit(name: str) -> bool:
    return _within(name, 'toolkit')


def test_every_module_has_a_layer():
    for module in MODULES:
        layer_of(module.name)


def test_layer_check_catches_an_upward_import():
    # the check itself: a model importing the toolkit, a deploy module a command
    assert layer_of('toolkit.cli.train') > layer_of('models.backbones.snet')
    assert layer_of('toolkit.deploy.export') < layer_of('toolkit.cli.common')
    assert layer_of('toolkit.errors') < layer_of('toolkit.deploy.quantize')
    upward = Module('models.layers.x', ROOT / PACKAGE / 'models/layers/x.py',
                    ast.parse('from ...toolkit.cli.common import build_runner'))
    assert package_imports(upward) == {'toolkit.cli.common': 1}


def test_the_plugin_imports_no_toolkit_module():
    offending = [f'{m.name} imports {target} (line {line})'
                 for m in MODULES if not _is_toolkit(m.name)
                 for target, line in package_imports(m).items()
                 if _is_toolkit(target)]
    assert offending == []


def test_no_import_runs_upward():
    offending = [
        f'{m.name} (layer {layer_of(m.name)}) imports {target} (layer '
        f'{layer_of(target)}, line {line})' for m in MODULES
        for target, line in package_imports(m).items()
        if layer_of(target) > layer_of(m.name)
    ]
    assert offending == []


def test_shipped_modules_import_no_benchmark_code():
    offending = [
        f'{m.name} imports {target}' for m in MODULES
        if not any(_within(m.name, p) for p in NOT_SHIPPED)
        for target in package_imports(m)
        if any(_within(target, p) for p in NOT_SHIPPED)
    ]
    assert offending == []


def test_the_wheel_leaves_the_benchmarks_out():
    config = configparser.ConfigParser()
    config.read(ROOT / 'setup.cfg')
    find = config['options.packages.find']
    shipped = setuptools.find_packages(
        str(ROOT), include=find['include'].split(),
        exclude=find.get('exclude', '').split())
    packages = {m.name for m in MODULES if m.path.name == '__init__.py'}
    expected = {(f'{PACKAGE}.{p}' if p else PACKAGE) for p in packages
                if not any(_within(p, n) for n in NOT_SHIPPED)}
    assert set(shipped) == expected


def _imports_argparse(module: Module) -> bool:
    return any(
        isinstance(node, ast.Import) and any(a.name == 'argparse' for a in node.names)
        or isinstance(node, ast.ImportFrom) and node.module == 'argparse'
        for node in ast.walk(module.tree))


def test_argparse_lives_only_in_the_commands_package():
    outside = [m.name for m in MODULES
               if _imports_argparse(m) and not _within(m.name, COMMANDS)]
    assert outside == []


def test_every_command_module_has_a_main():
    commands = [m for m in MODULES if _within(m.name, COMMANDS)
                and m.path.name != '__init__.py'
                and m.name.split('.')[-1] not in ('common', 'options')]
    assert commands
    without = [m.name for m in commands if not any(
        isinstance(node, ast.FunctionDef) and node.name.endswith('main')
        for node in m.tree.body)]
    assert without == []


TOOL_SCRIPTS = sorted(p for p in (ROOT / 'tools').rglob('*')
                      if p.is_file() and p.suffix in ('.py', '.sh'))


@pytest.mark.parametrize('script', [p for p in TOOL_SCRIPTS if p.suffix == '.py'],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_tools_scripts_are_launchers_of_commands(script):
    tree = ast.parse(script.read_text())
    imports = [node for node in tree.body
               if isinstance(node, (ast.Import, ast.ImportFrom))]
    ours = [node for node in imports if isinstance(node, ast.ImportFrom)
            and (node.module or '').startswith(f'{PACKAGE}.{COMMANDS}.')]
    assert len(ours) == 1, 'a launcher imports one command'
    assert all(alias.name.endswith('main') for alias in ours[0].names)
    others = [node for node in imports if node is not ours[0]]
    assert all(isinstance(node, ast.Import) and node.names[0].name == 'sys'
               for node in others), 'nothing but the command (and sys.exit)'


def _duplicates(paths) -> Dict[str, List[str]]:
    by_name: Dict[str, List[str]] = {}
    for path in paths:
        by_name.setdefault(path.name, []).append(str(path.relative_to(ROOT)))
    return {name: found for name, found in by_name.items() if len(found) > 1}


def test_no_two_modules_share_a_file_name():
    assert _duplicates(m.path for m in MODULES
                       if m.path.name != '__init__.py') == {}
    assert _duplicates(p for p in (ROOT / 'tests').rglob('test_*.py')) == {}


def test_every_plugin_module_has_its_test_file():
    missing = []
    for m in MODULES:
        if _is_toolkit(m.name) or m.path.name == '__init__.py' or \
                m.name in NO_TEST_FILE:
            continue
        *folders, name = m.name.split('.')
        test = ROOT / 'tests' / Path(*[f'test_{f}' for f in folders],
                                     f'test_{name}.py')
        if not test.is_file():
            missing.append(str(test.relative_to(ROOT)))
    assert missing == []


def test_the_layout_doc_names_every_folder_and_tools_script():
    doc = (ROOT / 'docs' / 'layout.md').read_text()
    folders = sorted(str(m.path.parent.relative_to(ROOT)) + '/' for m in MODULES
                     if m.path.name == '__init__.py')
    scripts = [str(p.relative_to(ROOT)) for p in TOOL_SCRIPTS]
    unnamed = [name for name in folders + scripts if f'`{name}`' not in doc]
    assert unnamed == []
