"""The metadata an exported file carries (ONNX ``metadata_props``), written by
:mod:`.export` and read by everything that runs the file (:mod:`.backend_model`,
:mod:`.quantize`, ``tools/test.py`` with a model file): the task, the config, the
class names, the output names and the input shape. One format, one module."""
import json
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple

import onnx
from mmengine.config import Config

# metadata_props keys written into every exported file
META_TASK = 'shufflenet_backbones.task'
META_CONFIG = 'shufflenet_backbones.config'
META_CLASSES = 'shufflenet_backbones.classes'
META_SHAPE = 'shufflenet_backbones.input_shape'  # "N,3,H,W"; -1 where dynamic
META_OUTPUTS = 'shufflenet_backbones.outputs'  # JSON list of the output names


def file_metadata(task: str, config_text: str, classes: Sequence[str],
                  outputs: Sequence[str], shape: Tuple[int, int, int, int],
                  dynamic: bool) -> Dict[str, str]:
    """The metadata of a file of ``task`` with input ``shape`` (N, 3, H, W; all but
    the channels free when ``dynamic``)."""
    return {
        META_TASK: task,
        META_CONFIG: config_text,
        META_CLASSES: json.dumps(list(classes)),
        META_OUTPUTS: json.dumps(list(outputs)),
        META_SHAPE: ','.join(str(-1 if dynamic and i != 1 else size)
                             for i, size in enumerate(shape)),
    }


def write_metadata(path: str, meta: Dict[str, str]) -> None:
    """Store ``meta`` in the ONNX file at ``path`` (checked, rewritten in place)."""
    onnx_model = onnx.load(path)
    onnx.helper.set_model_props(onnx_model, meta)
    onnx.checker.check_model(onnx_model)
    onnx.save(onnx_model, path)


def input_shape(
        meta: Dict[str, str]) -> Tuple[Optional[int], Optional[Tuple[int, int]]]:
    """The batch size and (H, W) a file written by :func:`~.export.export` takes, each
    None where it is free."""
    batch, _, height, width = (int(v) for v in meta[META_SHAPE].split(','))
    return (batch if batch > 0 else None), ((height, width) if height > 0 else None)


def embedded_config(meta: Dict[str, str]) -> Config:
    """The config :func:`~.export.export` stored in the file (``meta``: its
    metadata)."""
    return Config.fromstring(meta[META_CONFIG], file_format='.py')


def read_metadata(path: str) -> Dict[str, str]:
    """The metadata :func:`~.export.export` wrote into ``path``; ValueError naming the
    file when it has none (an ONNX file from elsewhere)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'model file not found: {path}')
    try:
        model = onnx.load(path, load_external_data=False)
    except Exception as err:  # protobuf's decode errors have no common type
        raise ValueError(f'cannot read ONNX file {path}: {err}') from err
    meta = {prop.key: prop.value for prop in model.metadata_props}
    missing = [key for key in (META_TASK, META_CONFIG, META_CLASSES, META_OUTPUTS,
                               META_SHAPE) if key not in meta]
    if missing:
        raise ValueError(f'{path} lacks the {", ".join(missing)} metadata: write '
                         'it with this version of tools/deploy/export.py')
    return meta
