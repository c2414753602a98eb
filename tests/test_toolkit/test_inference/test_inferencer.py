"""tools/infer.py (shufflenet_backbones.toolkit.cli.infer and .inference): the
quickstart's detector config with random weights on two generated 128x128 shapes
images; the drawn pictures (upscaled by the config's visualizer) and the JSON
predictions, and the one-line errors for bad inputs. About 20 s on 2 CPU cores."""
import json
import os.path as osp
from pathlib import Path

import mmcv
import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.registry import DefaultScope

from shufflenet_backbones.toolkit.cli.infer import main
from shufflenet_backbones.toolkit.data import (SHAPE_CLASSES,
                                               generate_shapes_coco)
from shufflenet_backbones.toolkit.inference.images import list_images

ROOT = Path(__file__).parents[3]
INFER = ROOT / 'tools' / 'infer.py'
CONFIG = ROOT / 'configs' / 'det' / 'lighthead_shufflenetv2_shapes_demo.py'
SEG_CONFIG = ROOT / 'configs' / 'seg' / 'fcn_shufflenetv2_shapes_demo.py'


@pytest.fixture(scope='module')
def workspace(tmp_path_factory):
    """Two generated images and a checkpoint of the demo detector with random
    weights, saved without class names (as converted weights come)."""
    tmp = tmp_path_factory.mktemp('infer')
    generate_shapes_coco(str(tmp / 'shapes'), num_train=0, num_val=2,
                         image_size=128)
    # module-scoped: built before conftest's per-test mmdet scope is entered
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(Config.fromfile(CONFIG).model)
    checkpoint = tmp / 'random.pth'
    torch.save({'state_dict': model.state_dict()}, checkpoint)
    images = sorted((tmp / 'shapes' / 'val').glob('*.png'))
    assert len(images) == 2
    return dict(tmp=tmp, checkpoint=str(checkpoint), images=[str(p) for p in images],
                image_dir=str(tmp / 'shapes' / 'val'), model=model)


def test_infer_writes_pictures_and_json(workspace, tmp_path, run_tool):
    """As a user runs it: a subprocess, a folder as input."""
    out_dir = tmp_path / 'out'
    result = run_tool(INFER, CONFIG, workspace['checkpoint'], workspace['image_dir'],
                      '--out-dir', out_dir, '--score-thr', '0', '--device', 'cpu')
    assert result.returncode == 0, result.stderr[-3000:]
    for image in workspace['images']:
        name = osp.basename(image)
        picture = mmcv.imread(str(out_dir / 'vis' / name))
        # the config's visualizer draws the 128x128 image at 512x512
        assert picture.shape == (512, 512, 3)
        with open(out_dir / 'preds' / name.replace('.png', '.json')) as f:
            preds = json.load(f)
        assert len(preds['labels']) == len(preds['scores']) == len(preds['bboxes'])
        assert len(preds['labels']) > 0  # random weights, but boxes above 0
        for x1, y1, x2, y2 in preds['bboxes']:  # in the image's pixels
            assert 0 <= x1 <= x2 <= 128 and 0 <= y1 <= y2 <= 128
        assert f'{image}: ' in result.stdout
    # the checkpoint holds no class names: the config's, not COCO's 80
    lines = [line for line in result.stdout.splitlines() if line.startswith('/')]
    found = {word for line in lines for word in line.split(': ', 1)[1].split()}
    assert set(SHAPE_CLASSES) & found and 'person' not in found
    assert f'{out_dir}/vis/' in result.stdout


def test_config_with_the_safe_loader_in_its_pipeline(workspace, tmp_path, run_main):
    """Configs written with SafeLoadImageFromFile in the test pipeline (the
    earlier advice; also inside older exported files and checkpoints) still
    infer: the inferencer gets the plain loader it looks for."""
    cfg = Config.fromfile(str(CONFIG))
    cfg.test_dataloader.dataset.pipeline[0] = dict(type='SafeLoadImageFromFile',
                                                   on_bad='placeholder')
    old_style = str(tmp_path / 'old_style.py')
    cfg.dump(old_style)
    code, out, err = run_main(main, [old_style, workspace['checkpoint'],
                                     workspace['images'][0], '--out-dir',
                                     tmp_path / 'out', '--score-thr', '0',
                                     '--device', 'cpu'])
    assert code == 0, err[-2000:]
    assert f"{workspace['images'][0]}: " in out


def test_missing_image_is_one_line(workspace, tmp_path, run_main):
    missing = tmp_path / 'no_such.jpg'
    code, _, err = run_main(main, [CONFIG, workspace['checkpoint'],
                                   workspace['images'][0], missing])
    assert code == 1
    assert err.strip() == f'infer.py: error: image not found: {missing}'


def test_missing_checkpoint_is_one_line(workspace, tmp_path, run_main):
    missing = tmp_path / 'no_such.pth'
    code, out, err = run_main(main, [CONFIG, missing, workspace['images'][0]])
    assert code == 1
    assert err.strip() == f'infer.py: error: checkpoint not found: {missing}'
    assert out == ''  # the error alone, no loading message before it


def test_unreadable_checkpoint_is_one_line(workspace, tmp_path, run_main):
    broken = tmp_path / 'broken.pth'
    broken.write_bytes(b'not a checkpoint')
    code, _, err = run_main(main, [CONFIG, broken, workspace['images'][0]])
    assert code == 1
    (line, ) = err.strip().splitlines()
    assert line.startswith('infer.py: error: ') and str(broken) in line, line


def test_checkpoint_of_another_model_is_one_line(workspace, tmp_path, run_main):
    state_dict = dict(workspace['model'].state_dict())
    key = next(k for k in state_dict if k.startswith('backbone.'))
    state_dict[key] = torch.zeros(3)
    other = tmp_path / 'other.pth'
    torch.save({'state_dict': state_dict}, other)
    code, _, err = run_main(main, [CONFIG, other, workspace['images'][0],
                                   '--out-dir', tmp_path / 'out'])
    assert code == 1
    (line, ) = err.strip().splitlines()
    assert line.startswith(f'infer.py: error: checkpoint {other} does not fit')
    assert key in line
    assert not (tmp_path / 'out').exists()


def bad_input(tmp_path, kind):
    """A folder without images, a file that is no image, a broken image."""
    if kind == 'empty folder':
        path = tmp_path / 'empty'
        path.mkdir()
    elif kind == 'text file':
        path = tmp_path / 'notes.txt'
        path.write_text('x')
    else:
        path = tmp_path / 'broken.png'
        path.write_bytes(b'not a png')
    return path


@pytest.mark.parametrize('kind,message', [
    ('empty folder', 'no images'),
    ('text file', 'not an image file'),
    ('broken image', 'cannot read image'),
])
def test_bad_inputs_are_one_line(workspace, tmp_path, run_main, kind, message):
    bad = bad_input(tmp_path, kind)
    code, _, err = run_main(main, [CONFIG, workspace['checkpoint'], bad])
    assert code == 1
    (line, ) = err.strip().splitlines()
    assert line.startswith('infer.py: error: ') and message in line, line
    assert str(bad) in line


def test_other_bad_arguments_are_one_line(workspace, tmp_path, run_main):
    image = workspace['images'][0]
    for argv, message in [
        ((SEG_CONFIG, workspace['checkpoint'], image), 'is an mmseg config'),
        ((tmp_path / 'none.py', workspace['checkpoint'], image),
         'config file not found'),
        ((CONFIG, workspace['checkpoint'], image, '--score-thr', '2'),
         '--score-thr must be between 0 and 1'),
    ]:
        code, _, err = run_main(main, argv)
        assert code == 1, argv
        (line, ) = err.strip().splitlines()
        assert line.startswith('infer.py: error: ') and message in line, line


def test_same_output_names_are_refused(tmp_path):
    for sub in ('a', 'b'):
        (tmp_path / sub).mkdir()
        mmcv.imwrite(torch.zeros(4, 4, 3).numpy(), str(tmp_path / sub / 'x.png'))
    with pytest.raises(Exception, match='would write the same output files'):
        list_images([str(tmp_path / 'a'), str(tmp_path / 'b')])
    # the same image twice is simply done once
    one = str(tmp_path / 'a' / 'x.png')
    assert list_images([one, one]) == [one]
