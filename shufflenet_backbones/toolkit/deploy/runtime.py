"""Run an exported ONNX file with onnxruntime or OpenVINO, one call for both."""
import importlib
import json
import os.path as osp
import tempfile
from collections import defaultdict
from typing import Dict, List, Optional

import numpy as np

BACKENDS = ('onnxruntime', 'openvino')  # also the names of their pip packages


class BackendUnavailableError(RuntimeError):
    """The runtime's Python package is not installed."""


def import_backend(backend: str):
    """The runtime's Python module; :class:`BackendUnavailableError` naming the
    pip package when it is missing, ValueError for an unknown name."""
    if backend not in BACKENDS:
        raise ValueError(f'--backend must be one of {BACKENDS}, got {backend!r}')
    try:
        return importlib.import_module(backend)
    except ImportError as err:
        raise BackendUnavailableError(
            f'--backend {backend}: the {backend} package is not installed (pip '
            f'install {backend})') from err


class InferenceSession:
    """One ONNX file loaded into onnxruntime or OpenVINO (CPU).

    Args:
        path (str): The ONNX file.
        backend (str): 'onnxruntime' or 'openvino'. Default: 'onnxruntime'.
        threads (int, optional): Intra-op threads; None: the runtime's default
            (all cores). Default: None.
        share_cpu (bool): Leave the cores to other work between runs: onnxruntime's
            intra-op threads do not spin after a run
            (``session.intra_op.allow_spinning=0``), and OpenVINO runs one stream
            with its latency hint. For timing beside other models on the same
            cores (the benchmarks); off by default, as in the runtimes. Default:
            False.
        profile (bool): Record each graph node's time (onnxruntime's profiler,
            OpenVINO's performance counters), for :meth:`node_seconds`. Default:
            False.

    Example:
        >>> session = InferenceSession('model.onnx')  # doctest: +SKIP
        >>> dets, labels = session.run(dict(images=x, img_shapes=s))  # doctest: +SKIP
    """

    def __init__(self, path: str, backend: str = 'onnxruntime',
                 threads: Optional[int] = None, share_cpu: bool = False,
                 profile: bool = False):
        runtime = import_backend(backend)
        if not osp.isfile(path):
            raise FileNotFoundError(f'model file not found: {path}')
        self.backend = backend
        self._profile = profile
        self._runs: List[Dict[str, float]] = []  # OpenVINO's counters, per run
        if backend == 'onnxruntime':
            options = runtime.SessionOptions()
            if threads:
                options.intra_op_num_threads = threads
                options.inter_op_num_threads = 1
            if share_cpu:
                options.add_session_config_entry('session.intra_op.allow_spinning',
                                                 '0')
            if profile:
                options.enable_profiling = True
                options.profile_file_prefix = osp.join(tempfile.mkdtemp(), 'ort')
            self._session = runtime.InferenceSession(
                path, options, providers=['CPUExecutionProvider'])
            self.input_names = [i.name for i in self._session.get_inputs()]
            self.output_names = [o.name for o in self._session.get_outputs()]
        else:
            # OpenVINO runs float layers in bfloat16 on CPUs that have it (this
            # one does), which moved the quickstart's mAP by 0.006; float32
            # keeps the exported model's numbers (int8 layers stay int8)
            config = {'INFERENCE_PRECISION_HINT': 'f32'}
            if threads:
                config['INFERENCE_NUM_THREADS'] = threads
            if share_cpu:
                config.update(NUM_STREAMS=1, PERFORMANCE_HINT='LATENCY')
            if profile:
                config['PERF_COUNT'] = True
            core = runtime.Core()
            self._compiled = core.compile_model(core.read_model(path), 'CPU', config)
            self._request = self._compiled.create_infer_request()
            self.input_names = [i.get_any_name() for i in self._compiled.inputs]
            self.output_names = [o.get_any_name() for o in self._compiled.outputs]

    def run(self, inputs: Dict[str, np.ndarray]) -> List[np.ndarray]:
        """The outputs, in the file's order, for ``inputs`` keyed by name."""
        if self.backend == 'onnxruntime':
            return self._session.run(None, inputs)
        results = self._request.infer(inputs)
        if self._profile:  # OpenVINO keeps the counters of the last run only
            run: Dict[str, float] = defaultdict(float)
            for info in self._request.get_profiling_info():
                run[info.node_name] += info.real_time.total_seconds()
            self._runs.append(run)
        return [np.asarray(results[output]) for output in self._compiled.outputs]

    def node_seconds(self, skip_runs: int = 0) -> Dict[str, float]:
        """Seconds spent in each graph node over the runs so far but the first
        ``skip_runs`` (warm-up), with ``profile=True``; by node name as the
        runtime reports it (names of executed layers, which may differ from the
        file's: fused, reordered or inserted layers). For onnxruntime this ends
        the profiling: call it once, after the runs."""
        if not self._profile:
            raise RuntimeError('node_seconds() needs InferenceSession(..., '
                               'profile=True)')
        seconds: Dict[str, float] = defaultdict(float)
        if self.backend == 'openvino':
            for run in self._runs[skip_runs:]:
                for name, value in run.items():
                    seconds[name] += value
            return dict(seconds)
        with open(self._session.end_profiling()) as f:
            events = json.load(f)
        runs = sorted(e['ts'] + e['dur'] for e in events
                      if e.get('cat') == 'Session' and e['name'] == 'model_run')
        start = runs[skip_runs - 1] if 0 < skip_runs <= len(runs) else (
            float('inf') if skip_runs > len(runs) else float('-inf'))
        for event in events:
            if (event.get('cat') == 'Node' and event['ts'] > start
                    and event['name'].endswith('_kernel_time')):
                seconds[event['name'][:-len('_kernel_time')]] += event['dur'] / 1e6
        return dict(seconds)
