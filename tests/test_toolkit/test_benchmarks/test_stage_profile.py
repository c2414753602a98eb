"""The per-stage profile (shufflenet_backbones.toolkit.benchmarks.stage_profile) on a
small Light-Head R-CNN: every node of the exported file lands in the stage that
runs it, the eager stages are the methods that run them, and the runtimes'
profilers are read into the same stages. (The times themselves are not tested.)"""
import copy

import onnx
import pytest
import torch

from shufflenet_backbones.toolkit.benchmarks import detector_deploy
from shufflenet_backbones.toolkit.benchmarks import stage_profile as sp
from shufflenet_backbones.toolkit.benchmarks.detector_benchmark import (
    DETECTORS, FASTER, LIGHT_HEAD, build_detector, images)
from shufflenet_backbones.toolkit.benchmarks.detector_benchmark import \
    test_step as one_pass
from shufflenet_backbones.toolkit.benchmarks.timing import (EAGER,
                                                            EAGER_MMDET_NMS,
                                                            RUNTIMES)
from shufflenet_backbones.toolkit.deploy.backend_model import BackendModel
from shufflenet_backbones.toolkit.deploy.export import export_model

SIZE = (64, 96)
# the exporter's notices (frozen Python values, its deprecation)
pytestmark = [pytest.mark.filterwarnings('ignore::torch.jit.TracerWarning'),
              pytest.mark.filterwarnings('ignore::DeprecationWarning')]


@pytest.fixture(scope='module')
def light_head(tmp_path_factory):
    torch.manual_seed(0)
    model, cfg = build_detector(DETECTORS[LIGHT_HEAD])
    model.eval()
    path = str(tmp_path_factory.mktemp('profile') / 'light_head.onnx')
    export_model(cfg, model, path, shape=SIZE)
    return model, cfg, path


def test_every_node_is_in_the_stage_that_runs_it(light_head):
    _, _, path = light_head
    stages = sp.node_stages(path)
    nodes = onnx.load(path).graph.node
    assert set(stages) == {n.name for n in nodes}
    # the stages come in the order they run, each once
    order = []
    for node in nodes:
        if not order or order[-1] != stages[node.name]:
            order.append(stages[node.name])
    assert order == list(sp.STAGES)
    by_type = {}
    for node in nodes:
        by_type.setdefault(node.op_type, set()).add(stages[node.name])
    # one NMS for the proposals, one per-class NMS at the end
    assert by_type['NonMaxSuppression'] == {'proposals + NMS', 'final NMS'}
    assert by_type['Gemm'] == {'R-CNN head'}  # the 2048-FC, cls and reg
    assert 'backbone' in by_type['Conv'] and 'neck' in by_type['Conv']


@pytest.mark.parametrize('name,stage', [
    ('/backbone/conv1/conv/Conv', 'backbone'),  # as in the file
    ('/Where_abcd_acdb_/backbone/conv1/conv/Conv/WithoutBiases', 'backbone'),
    ('/bbox_head/shared_fcs.0/Gemm_fused_Relu', 'R-CNN head'),
    ('VariadicSplit_18741', sp.RUNTIME_OWN),
])
def test_runtime_node_names_map_to_stages(name, stage):
    assert sp._stage_of(name, {'/backbone/conv1/conv/Conv': 'backbone'}) == stage


def test_eager_profile_times_each_stage_and_unwraps(light_head):
    model, _, _ = light_head
    packed = images(1, size=SIZE)
    with torch.inference_mode():
        seconds = sp.profile_eager(model, one_pass(model, packed), passes=2)
    assert list(seconds) == [*sp.STAGES, sp.GLUE]
    assert all(seconds[stage] > 0 for stage in sp.STAGES), seconds
    # the wrappers are gone: the instances use their classes' methods again
    for path, method in sp.EAGER_STAGES.values():
        assert method not in vars(model.get_submodule(path))


@pytest.mark.parametrize('backend', ['onnxruntime', 'openvino'])
def test_runtime_profile_reads_the_profilers_into_stages(light_head, backend):
    _, _, path = light_head
    deployed = BackendModel(path, backend, 1, share_cpu=True, profile=True)
    packed = images(1, size=SIZE)
    seconds = sp.profile_runtime(deployed, one_pass(deployed, copy.deepcopy(
        packed)), passes=2, stages=sp.node_stages(path))
    assert list(seconds) == [*sp.STAGES, sp.RUNTIME_OWN, sp.GLUE]
    for stage in ('backbone', 'neck', 'proposals + NMS', 'RoI pooling',
                  'R-CNN head', 'final NMS'):
        assert seconds[stage] > 0, (stage, seconds)
    # the layers a runtime names after none of the file's nodes are a small part
    assert seconds[sp.RUNTIME_OWN] < 0.5 * sum(seconds.values())


def test_multiply_adds_and_roofline_shares(light_head):
    model, cfg, _ = light_head
    macs = sp.stage_macs(model, SIZE, cfg.model.test_cfg.rpn.max_per_img)
    assert set(macs) == set(sp.STAGES)
    for stage in ('backbone', 'neck', 'RPN head', 'R-CNN head'):
        assert macs[stage] > 0
    for stage in ('proposals + NMS', 'RoI pooling', 'final NMS'):
        assert macs[stage] == 0
    # the R-CNN's 2048-FC over 1000 RoIs: 490 x 2048 + 2048 x (81 + 320)
    assert macs['R-CNN head'] == 1000 * (490 * 2048 + 2048 * (81 + 320))
    shares = sp.roofline_shares({'backbone': 0.5, 'neck': 0.0}, macs, 1e9)
    assert shares == {'backbone': macs['backbone'] / 0.5 / 1e9}
    assert sp.dense_conv_rate(1, repeats=2) > 1e8


def test_random_weight_profiles_cover_every_runtime(tmp_path):
    report = dict(profiles=[])
    config = detector_deploy.THUNDERNETS['ThunderNet SNet146']
    detector_deploy.measure_profiles(report, 1, tmp_path, calib_images=1,
                                     detectors={'ThunderNet': (config, (96, 96))})
    profile, = report['profiles']
    assert profile['weights'] == 'random' and profile['input'] == '96x96, batch 1'
    stages = [row['stage'] for row in profile['rows']]
    assert stages == [*sp.STAGES, sp.RUNTIME_OWN, sp.GLUE]
    columns = profile['rows'][0]['columns']
    # ThunderNet's RPN is a SelectRPNHead: eager with mmdet's NMS beside it
    assert list(columns) == [EAGER, EAGER_MMDET_NMS] + [r.label for r in RUNTIMES]
    for column in columns:
        total = sum(row['columns'][column]['share'] for row in profile['rows'])
        assert total == pytest.approx(1.0)
    backbone = profile['rows'][1]
    assert backbone['mmacs'] > 0
    assert all(cell['roofline'] > 0 for cell in backbone['columns'].values())


def test_fpn_roi_align_nodes_are_roi_pooling(tmp_path):
    """torchvision's RoIAlign exports without its module's scope; Faster R-CNN's
    per-level RoIAlign still lands in RoI pooling."""
    model, cfg = build_detector(DETECTORS[FASTER])
    model.eval()
    path = str(tmp_path / 'faster.onnx')
    export_model(cfg, model, path, shape=(64, 96))
    stages = sp.node_stages(path)
    by_type = {}
    for node in onnx.load(path).graph.node:
        by_type.setdefault(node.op_type, set()).add(stages[node.name])
    assert by_type['RoiAlign'] == {'RoI pooling'}
    assert by_type['NonMaxSuppression'] == {'proposals + NMS', 'final NMS'}
