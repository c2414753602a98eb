"""The benchmark scripts of tools/analysis on small inputs: their variants compute
what they claim, they run end to end and the README section is generated from
their tables. (The timings themselves are not tested: they are what the scripts
print.)"""
import json
import statistics

import onnx
import pytest
import torch

from shufflenet_backbones.toolkit.analysis.reports import (new_report,
                                                           write_report)
from shufflenet_backbones.toolkit.benchmarks import (backbone_benchmark,
                                                     backbone_report,
                                                     backbone_variants,
                                                     detector_benchmark,
                                                     detector_deploy,
                                                     detector_memory,
                                                     detector_report)
from shufflenet_backbones.toolkit.benchmarks.timing import (EAGER, RUNTIMES,
                                                            Timing)
from shufflenet_backbones.toolkit.cli import get_flops
from shufflenet_backbones.toolkit.cli.benchmarks import \
    update_performance_doc as update_readme


@pytest.mark.parametrize('family', ['v1', 'v2'])
def test_backbone_variants_compute_the_same_function(family):
    variants = (backbone_variants.v1_models() if family == 'v1' else
                backbone_variants.v2_models(0.5))
    # raises if a variant is off by more than its tolerance
    diffs = backbone_variants.check_outputs(variants)
    assert set(diffs) == set(list(variants)[1:])
    for name, diff in diffs.items():
        if 'deploy' in name:  # rounding of the folded weights, but not nothing
            assert 0 < diff <= backbone_variants.DEPLOY_TOLERANCE, name
        else:
            assert diff <= backbone_variants.EXACT_TOLERANCE, name
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
    detector_memory.measure_memory(report, threads=1, size=(256, 384),
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
    json_path = write_report(report, detector_report.to_markdown, tmp_path)
    assert json.loads(json_path.read_text())['speed'][0]['input'] == '96x128, batch 1'
    markdown = json_path.with_suffix('.md').read_text()
    assert '| Light-Head R-CNN | 96x128, batch 1, cpu |' in markdown
    assert '| Light-Head R-CNN | True | cpu |' in markdown


def _op_types(path):
    return {node.op_type for node in onnx.load(str(path)).graph.node}


@pytest.fixture
def one_thread():
    """PyTorch on one thread for the test, as the deployment rows' runtimes."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# the exporter's notices (frozen Python values, its deprecation); both runtimes
# must be installed (requirements/tests.txt)
@pytest.mark.filterwarnings('ignore::torch.jit.TracerWarning')
@pytest.mark.filterwarnings('ignore::DeprecationWarning')
def test_detector_deployment_rows(one_thread, tmp_path):
    bench = detector_deploy
    timing = Timing(warmup=0, rounds=2, target_seconds=0.01)
    report = new_report('detector', {}, timing)
    report.update(speed=[], memory=[], deploy=[], thundernet=[])
    # detection sizes take seconds per pass; the code path is the same
    bench.measure_deploy(report, timing, threads=1, work_dir=tmp_path,
                         calib_images=1, sizes=[(64, 96)])
    snet49 = 'ThunderNet SNet49'
    torch.set_num_threads(2)  # ThunderNet runs on one thread, then puts it back
    bench.measure_thundernet(report, timing, tmp_path, calib_images=1,
                             detectors={snet49: bench.THUNDERNETS[snet49]},
                             size=(96, 96))
    assert torch.get_num_threads() == 2

    names = [EAGER] + [r.label for r in RUNTIMES]
    groups = {}
    for row in report['deploy']:
        groups.setdefault((row['detector'], row['input']), []).append(row)
    assert list(groups) == [('Light-Head R-CNN', '64x96, batch 1'),
                            (f'{snet49} soft-NMS', '96x96, batch 1'),
                            (f'{snet49} NMS', '96x96, batch 1')]
    for rows in groups.values():
        assert [r['runtime'] for r in rows] == names
        eager = rows[0]['median']
        for row in rows:
            assert row['min'] <= row['median'] <= row['max'] and row['median'] > 0
            # the ratio of medians of the same interleaved rounds
            assert row['ratio_to_eager'] == pytest.approx(row['median'] / eager)
            assert len(row['rounds']) == 2
            assert row['passes_per_round'] == rows[0]['passes_per_round']
    # INT8 rows time the QDQ file, FP32 rows the export; both at the row's size
    for row in report['deploy'][1:len(names)]:
        path = tmp_path / row['file']
        quantized = 'QuantizeLinear' in _op_types(path)
        assert quantized == row['runtime'].endswith('INT8'), row['runtime']
        dims = onnx.load(str(path)).graph.input[0].type.tensor_type.shape.dim
        assert [d.dim_value for d in dims] == [1, 3, 64, 96]
    # the configs' soft-NMS and plain NMS, each in every row alike
    assert len(report['thundernet']) == 2
    for summary, nms in zip(report['thundernet'], ('soft_nms', 'nms')):
        thunder_rows = groups[summary['detector'], '96x96, batch 1']
        assert {r['threads'] for r in thunder_rows} == {1}
        assert [r['rcnn_nms'] for r in thunder_rows] == [nms] * 5
        best = max(thunder_rows[1:], key=lambda r: r['median'])
        assert (summary['best_runtime'], summary['best_runtime_median']) == (
            best['runtime'], best['median'])
        assert summary['best_ratio_to_eager'] == pytest.approx(
            best['median'] / thunder_rows[0]['median'])
        assert summary['eager'] == thunder_rows[0]['median']
    assert (summary['paper_images_per_s'], summary['paper_mflops']) == (47, 262)
    assert list(summary['mflops_parts']) == ['backbone', 'neck', 'rpn_head',
                                             'roi_head']
    assert summary['mflops'] == pytest.approx(sum(summary['mflops_parts'].values()))

    json_path = write_report(report, detector_report.to_markdown, tmp_path / 'out')
    markdown = json_path.with_suffix('.md').read_text()
    eager_row = report['deploy'][0]
    assert (f"| Light-Head R-CNN | 64x96, batch 1 | 1 | {EAGER} | "
            f"{eager_row['median']:.2f} |") in markdown
    assert '| ThunderNet SNet49 NMS | 96x96, batch 1, 1 thread(s) |' in markdown
    assert f"| {summary['best_runtime']} |" in markdown and '| 262? |' in markdown


@pytest.mark.filterwarnings('ignore::torch.jit.TracerWarning')
@pytest.mark.filterwarnings('ignore::DeprecationWarning')
def test_backbone_runtime_rows(one_thread, tmp_path):
    bench = backbone_benchmark
    timing = Timing(warmup=0, rounds=2, target_seconds=0.01)
    report = new_report('backbone', {}, timing)
    report.update(parity={}, results=[], runtime_results=[])
    cases = [('64x64, batch 1', (1, 3, 64, 64)), ('64x96, batch 2', (2, 3, 64, 96))]
    bench.measure_runtimes(report, timing, threads=1, cases=cases,
                           work_dir=tmp_path)
    rows = report['runtime_results']
    names = [bench.RUNTIME_PEER] + [r.label for r in RUNTIMES]
    assert [(r['input'], r['implementation']) for r in rows] == [
        (f'{label}, cpu', name) for label, _ in cases for name in names]
    for label, _ in cases:
        group = [r for r in rows if r['input'] == f'{label}, cpu']
        peer = statistics.median(group[0]['rounds'])
        assert group[0]['peer'] is None and group[0]['ratio'] is None
        for row in group[1:]:
            assert row['peer'] == bench.RUNTIME_PEER
            assert row['ratio'] == pytest.approx(row['median'] / peer)
            assert row['median'] == statistics.median(row['rounds'])
            if row['implementation'].endswith('INT8'):
                # the QDQ file: rounded, so not PyTorch's maps
                assert 'QuantizeLinear' in _op_types(tmp_path / row['file'])
                assert row['output_difference'] > 1e-3
            else:
                assert 'QuantizeLinear' not in _op_types(tmp_path / row['file'])
                assert row['output_difference'] <= bench.RUNTIME_FP32_TOLERANCE
    markdown = backbone_report.to_markdown(dict(report, machine=dict(
        report['machine'], load_average_after=[0.0, 0.0, 0.0])))
    ratios = ' | '.join(f"{r['ratio']:.2f}" for r in rows
                        if r['implementation'] == 'OpenVINO INT8')
    assert f'| OpenVINO INT8 | {ratios} |' in markdown
    assert f"| ShuffleNetV2 1.0x | 64x96, batch 2, cpu | {bench.RUNTIME_PEER} |" \
        in markdown


@pytest.fixture
def reports(tmp_path, monkeypatch):
    """A benchmark folder with a real FLOPs report and empty timed ones, an older
    and a newer of each, told apart by their command."""
    bench_dir = tmp_path / 'bench'
    get_flops.main(['--out-dir', str(bench_dir)])
    for kind, empty in (('backbone', dict(results=[], parity={})),
                        ('detector', dict(speed=[], memory=[]))):
        for age, stamp in (('old', '20260101_000000'), ('new', '20261231_000000')):
            report = new_report(kind, {}, Timing(1, 2, 0.1))
            report['machine']['load_average_after'] = [0.0, 0.0, 0.0]
            report.update(empty, command=f'{age} {kind}')
            (bench_dir / f'{kind}_{stamp}.json').write_text(json.dumps(report))
    return bench_dir


def test_readme_section_is_generated_from_the_newest_tables(reports, tmp_path):
    readme = tmp_path / 'README.md'
    readme.write_text('# Title\n\n<!-- performance:begin -->\nstale\n'
                      '<!-- performance:end -->\n\n## After\n')
    update_readme.main(['--bench-dir', str(reports), '--doc', str(readme)])
    text = readme.read_text()
    assert text.startswith('# Title\n\n<!-- performance:begin -->\n')
    assert text.endswith('<!-- performance:end -->\n\n## After\n')
    assert 'stale' not in text and 'old backbone' not in text
    # in the order FLOPs, backbone, detector
    flops = text.index('| ShuffleNetV2 |  | 1.0 | 144.9 | 146 |')
    assert flops < text.index('new backbone') < text.index('new detector')
    update_readme.main(['--bench-dir', str(reports), '--doc', str(readme)])
    assert readme.read_text() == text  # a second run changes nothing


def test_readme_update_errors(reports, tmp_path, capsys):
    readme = tmp_path / 'README.md'
    readme.write_text('no markers\n')
    with pytest.raises(SystemExit):
        update_readme.main(['--bench-dir', str(reports), '--doc', str(readme)])
    assert '<!-- performance:begin -->' in capsys.readouterr().err
    assert readme.read_text() == 'no markers\n'

    readme.write_text('<!-- performance:begin -->\n<!-- performance:end -->\n')
    for old in reports.glob('detector_*.json'):
        old.unlink()
    with pytest.raises(SystemExit):
        update_readme.main(['--bench-dir', str(reports), '--doc', str(readme)])
    err = capsys.readouterr().err
    assert 'no detector_*.json' in err and 'benchmark_detector.py' in err


def _profiled_report(command: str) -> dict:
    """A detector report with one per-stage profile and one trained-weight run."""
    from shufflenet_backbones.toolkit.benchmarks import stage_profile
    report = new_report('detector', {}, Timing(1, 2, 0.1))
    report['machine']['load_average_after'] = [0.0, 0.0, 0.0]
    seconds = {stage: 0.01 for stage in stage_profile.STAGES}
    macs = {stage: 0 for stage in stage_profile.STAGES}
    macs['backbone'] = 10**8
    rows = stage_profile.profile_rows({EAGER: seconds, 'onnxruntime FP32': seconds},
                                      macs, 1e10)
    spread = dict(median=2.0, min=1.5, max=2.5, values=[1.5, 2.0, 2.5])
    report.update(
        command=command, speed=[], memory=[],
        profiles=[dict(detector='Light-Head R-CNN', input='800x1216, batch 1',
                       weights='trained', threads=2, passes=5,
                       dense_gmacs_per_s=10.0, rows=rows)],
        trained=[dict(detector='Light-Head R-CNN', input='800x1216, batch 1',
                      threads=2, processes=3, eager_bbox_mAP=0.5,
                      rows=[dict(runtime='onnxruntime FP32', ratio_to_eager=spread,
                                 eager=dict(median=1.0), deployed=dict(median=2.0),
                                 bbox_mAP=0.49)])])
    return report


def test_profiles_lead_the_doc(reports, tmp_path):
    (reports / 'detector_20261231_120000.json').write_text(
        json.dumps(_profiled_report('profiled detector')))
    doc = tmp_path / 'performance.md'
    doc.write_text('# Perf\n\n<!-- detector-profile:begin -->\n<!-- '
                   'detector-profile:end -->\n\nmiddle\n\n<!-- performance:begin -->\n'
                   '<!-- performance:end -->\n')
    update_readme.main(['--bench-dir', str(reports), '--doc', str(doc),
                        '--profiles-only'])
    text = doc.read_text()
    top, bottom = text.split('middle')
    assert 'detector_20261231_120000.json' in top and 'profiled detector' in top
    # the stage rows: backbone 10 ms of 80 (8 stages), 10 GMAC/s of 10 -> 100 %
    assert '| backbone | 100 | 10.0 (12%); **100%** of roofline |' in top
    assert '| onnxruntime FP32 | 2.00 | **2.00** | 1.50 - 2.50 | 0.490 | -0.010 |' \
        in top
    assert bottom == '\n\n<!-- performance:begin -->\n<!-- performance:end -->\n'
    update_readme.main(['--bench-dir', str(reports), '--doc', str(doc)])
    # the full update fills both, the tables from the newest report of each kind
    assert 'profiled detector' in doc.read_text().split('middle')[1]


def test_profiles_need_a_report_with_them(reports, tmp_path, capsys):
    doc = tmp_path / 'performance.md'
    doc.write_text('<!-- detector-profile:begin -->\n<!-- detector-profile:end -->\n')
    with pytest.raises(SystemExit):
        update_readme.main(['--bench-dir', str(reports), '--doc', str(doc),
                            '--profiles-only'])
    assert 'no detector_*.json with trained-weight rows' in capsys.readouterr().err
