"""The benchmark scripts of tools/analysis on small inputs: their variants compute
what they claim, they run end to end and the README section is generated from
their tables. (The timings themselves are not tested: they are what the scripts
print.)"""
import json

import pytest

from shufflenet_backbones.analysis import (backbone_benchmark,
                                           detector_benchmark, flops)
from shufflenet_backbones.analysis import readme as readme_report
from shufflenet_backbones.analysis.benchmark import Timing, new_report


@pytest.fixture(scope='module')
def backbone_bench():
    return backbone_benchmark


@pytest.mark.parametrize('family', ['v1', 'v2'])
def test_backbone_variants_compute_the_same_function(backbone_bench, family):
    variants = (backbone_bench.v1_models() if family == 'v1' else
                backbone_bench.v2_models(0.5))
    # raises if a variant is off by more than its tolerance
    diffs = backbone_bench.check_outputs(variants)
    assert set(diffs) == set(list(variants)[1:])
    for name, diff in diffs.items():
        if 'deploy' in name:  # rounding of the folded weights, but not nothing
            assert 0 < diff <= backbone_bench.DEPLOY_TOLERANCE, name
        else:
            assert diff <= backbone_bench.EXACT_TOLERANCE, name
    for name, variant in variants.items():
        assert variant.peer is None or variant.peer in variants, name


def test_detector_benchmark_runs_end_to_end(monkeypatch, tmp_path):
    bench = detector_benchmark
    # detection-sized inputs take seconds per pass on CPU; the code path is the same
    monkeypatch.setattr(bench, 'HEIGHT', 96)
    monkeypatch.setattr(bench, 'WIDTH', 128)
    monkeypatch.setattr(bench, 'SPEED_BATCHES', (1, ))
    timing = Timing(warmup=0, rounds=2, target_seconds=0.01)
    report = new_report('detector', {}, timing)
    report.update(speed=[], memory=[])
    bench.measure_speed(report, timing)
    rows = {row['detector']: row for row in report['speed']}
    assert list(rows) == ['Light-Head R-CNN', 'Faster R-CNN + FPN',
                          'Light-Head R-CNN, deploy backbone',
                          'Light-Head R-CNN, NCHW backbone (channels_last=False)']
    faster = rows['Faster R-CNN + FPN']['median']
    for name, row in rows.items():
        assert row['median'] > 0 and row['min'] <= row['median'] <= row['max']
        assert row['ratio_to_faster_rcnn'] == pytest.approx(row['median'] / faster)
    # each setting in its own process, as the script measures it; at 256x384 the
    # activations already dominate the step (measured: 126 MiB, 94 with with_cp)
    bench.measure_memory(report, threads=1, size=(256, 384),
                         detectors=['Light-Head R-CNN'])
    without, with_cp = report['memory']
    assert (without['with_cp'], with_cp['with_cp']) == (False, True)
    for row in (without, with_cp):
        # a training step allocates activations and gradients: the peak rises
        assert row['peak_mib'] > row['before_mib'] > 0
        assert row['step_peak_mib'] == pytest.approx(row['peak_mib'] -
                                                     row['before_mib'])
    assert with_cp['ratio_to_without'] == pytest.approx(
        with_cp['step_peak_mib'] / without['step_peak_mib'])
    assert with_cp['ratio_to_without'] < 0.9  # what with_cp is for
    json_path = bench.write_report(report, bench.to_markdown, tmp_path)
    assert json.loads(json_path.read_text())['speed'][0]['input'] == '96x128, batch 1'
    markdown = json_path.with_suffix('.md').read_text()
    assert '| Light-Head R-CNN | 96x128, batch 1, cpu |' in markdown
    assert '| Light-Head R-CNN | True | cpu |' in markdown


@pytest.fixture
def reports(tmp_path, monkeypatch):
    """A benchmark folder with a real FLOPs report and empty timed ones, an older
    and a newer of each, told apart by their command."""
    bench_dir = tmp_path / 'bench'
    flops.main(['--out-dir', str(bench_dir)])
    for kind, empty in (('backbone', dict(results=[], parity={})),
                        ('detector', dict(speed=[], memory=[]))):
        for age, stamp in (('old', '20260101_000000'), ('new', '20261231_000000')):
            report = new_report(kind, {}, Timing(1, 2, 0.1))
            report['machine']['load_average_after'] = [0.0, 0.0, 0.0]
            report.update(empty, command=f'{age} {kind}')
            (bench_dir / f'{kind}_{stamp}.json').write_text(json.dumps(report))
    return bench_dir


def test_readme_section_is_generated_from_the_newest_tables(reports, tmp_path):
    update_readme = readme_report
    readme = tmp_path / 'README.md'
    readme.write_text('# Title\n\n<!-- performance:begin -->\nstale\n'
                      '<!-- performance:end -->\n\n## After\n')
    update_readme.main(['--bench-dir', str(reports), '--readme', str(readme)])
    text = readme.read_text()
    assert text.startswith('# Title\n\n<!-- performance:begin -->\n')
    assert text.endswith('<!-- performance:end -->\n\n## After\n')
    assert 'stale' not in text and 'old backbone' not in text
    # in the order FLOPs, backbone, detector
    flops = text.index('| ShuffleNetV2 |  | 1.0 | 144.9 | 146 |')
    assert flops < text.index('new backbone') < text.index('new detector')
    update_readme.main(['--bench-dir', str(reports), '--readme', str(readme)])
    assert readme.read_text() == text  # a second run changes nothing


def test_readme_update_errors(reports, tmp_path, capsys):
    update_readme = readme_report
    readme = tmp_path / 'README.md'
    readme.write_text('no markers\n')
    with pytest.raises(SystemExit):
        update_readme.main(['--bench-dir', str(reports), '--readme', str(readme)])
    assert '<!-- performance:begin -->' in capsys.readouterr().err
    assert readme.read_text() == 'no markers\n'

    readme.write_text('<!-- performance:begin -->\n<!-- performance:end -->\n')
    for old in reports.glob('detector_*.json'):
        old.unlink()
    with pytest.raises(SystemExit):
        update_readme.main(['--bench-dir', str(reports), '--readme', str(readme)])
    err = capsys.readouterr().err
    assert 'no detector_*.json' in err and 'benchmark_detector.py' in err
