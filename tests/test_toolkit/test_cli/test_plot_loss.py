"""tools/analysis/plot_loss.py (shufflenet_backbones.toolkit.cli.plot_loss and
toolkit.analysis.loss_curve): the losses of every run in a work dir, a resumed
run's repeats overwritten, drawn to a PNG; a folder that is no work dir is one
line."""
import json

import pytest
from PIL import Image

from shufflenet_backbones.toolkit.analysis.loss_curve import read_losses
from shufflenet_backbones.toolkit.cli.plot_loss import main


def _log(work_dir, stamp, records):
    folder = work_dir / stamp / 'vis_data'
    folder.mkdir(parents=True)
    (folder / 'scalars.json').write_text(
        ''.join(json.dumps(r) + '\n' for r in records))


@pytest.fixture
def work_dir(tmp_path):
    _log(tmp_path, '20261203_000000', [
        dict(iter=1, loss=1.0, loss_cls=0.6, lr=0.01),
        dict(iter=2, loss=0.8, loss_cls=0.5, lr=0.01)])
    # a resumed run repeats iteration 2 and goes on
    _log(tmp_path, '20261203_010000', [
        dict(iter=2, loss=0.7, loss_cls=0.4, lr=0.01),
        dict(iter=3, loss=0.5, loss_cls=0.3, lr=0.01)])
    return tmp_path


def test_losses_of_all_runs_with_the_resumed_values(work_dir):
    assert read_losses(work_dir) == {
        'loss': [(1, 1.0), (2, 0.7), (3, 0.5)],
        'loss_cls': [(1, 0.6), (2, 0.4), (3, 0.3)]}


def test_writes_the_curve(work_dir, capsys):
    main([str(work_dir)])
    out = work_dir / 'loss_curve.png'
    assert capsys.readouterr().out.strip() == f'loss curve: {out}'
    with Image.open(out) as image:
        assert image.size == (800, 500)  # 8 x 5 inches at 100 dpi
    other = work_dir / 'other.png'
    main([str(work_dir), '--out', str(other)])
    assert other.is_file()


def test_not_a_work_dir_is_one_line(tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main([str(tmp_path)])
    message = str(exit_info.value.code)
    assert message.startswith('plot_loss: no */vis_data/scalars.json under')
    assert '\n' not in message
