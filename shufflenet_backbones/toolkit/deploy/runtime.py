"""Run an exported ONNX file with onnxruntime or OpenVINO, one call for both."""
import importlib
import os.path as osp
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

    Example:
        >>> session = InferenceSession('model.onnx')  # doctest: +SKIP
        >>> dets, labels = session.run(dict(images=x, img_shapes=s))  # doctest: +SKIP
    """

    def __init__(self, path: str, backend: str = 'onnxruntime',
                 threads: Optional[int] = None):
        runtime = import_backend(backend)
        if not osp.isfile(path):
            raise FileNotFoundError(f'model file not found: {path}')
        self.backend = backend
        if backend == 'onnxruntime':
            options = runtime.SessionOptions()
            if threads:
                options.intra_op_num_threads = threads
                options.inter_op_num_threads = 1
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
        return [np.asarray(results[output]) for output in self._compiled.outputs]
