"""Static INT8 post-training quantization of an exported model.

    python tools/deploy/quantize.py MODEL.onnx --calib DATA_DIR_OR_CONFIG
                                    --out MODEL_int8.onnx [--num-images 32]

onnxruntime's ``quantize_static`` writes a QDQ model: weights per output channel
(symmetric int8), activations per tensor (uint8), their ranges calibrated
(MinMax) on ``--num-images`` images prepared by the model's own test pipeline:
the images of a folder, or, given a config, its training set's. Only
convolutions and fully-connected layers (``Conv``, ``Gemm``, ``MatMul``) are
quantized, except the RPN head's (:data:`FLOAT_SCOPES`); everything else --
normalisation, box decoding, PSRoIAlign / RoiAlign, NMS, top-k -- stays float, as it
must for exact boxes.

Why the RPN head stays float: its objectness ranks the ``nms_pre`` candidates of
which ``max_per_img`` survive, and its deltas place every proposal. On the
benchmark's trained Light-Head R-CNN at 800x1216 (2026-12-04, onnxruntime,
``tools/test.py`` on its 16 validation images) the whole model in INT8 lost 0.026
bbox mAP (0.296 -> 0.270); with its 3 RPN-head layers (of 66) float, 0.001 (0.295);
the R-CNN head, the neck or the whole backbone float instead gave 0.271, 0.269 and
0.281. The RPN head is a few percent of the multiply-adds. The QDQ file runs in
onnxruntime and in OpenVINO, which fuses the pairs into int8 kernels.
"""
import os
import os.path as osp
import tempfile
from typing import Iterable, Iterator, List, Optional

import onnx
from mmdet.apis.det_inferencer import IMG_EXTENSIONS
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope

from ..errors import CLIError
from ..inference.images import list_images
from ..inference.pipelines import image_only_pipeline
from .backend_model import pack_inputs
from .metadata import META_TASK, embedded_config, input_shape, read_metadata

QUANTIZED_OPS = ('Conv', 'Gemm', 'MatMul')
# module scopes (the exporter's node-name prefixes) whose layers stay float
FLOAT_SCOPES = ('/rpn_head/', )


def _calibration_images(calib: str, cfg: Config, num_images: int) -> List[str]:
    """Image paths: those of the folder ``calib``, or the first of the training
    set of the config file ``calib``."""
    if osp.isdir(calib):
        # only the images used are opened and checked
        names = sorted(n for n in os.listdir(calib)
                       if n.lower().endswith(IMG_EXTENSIONS))[:num_images]
        images = list_images([osp.join(calib, n) for n in names]) if names else []
    elif osp.isfile(calib) and calib.endswith('.py'):
        from mmengine.registry import DATASETS
        train_cfg = Config.fromfile(calib).train_dataloader.dataset
        train_cfg['pipeline'] = []
        dataset = DATASETS.build(train_cfg)
        images = [dataset.get_data_info(i)['img_path']
                  for i in range(min(num_images, len(dataset)))]
    else:
        raise CLIError(f'--calib {calib}: neither a folder of images nor a config '
                       'file (.py) whose training images to use')
    if not images:
        raise CLIError(f'--calib {calib}: no images found')
    return images[:num_images]


def calibration_feeds(model_path: str, calib: str,
                      num_images: int) -> Iterator[dict]:
    """Graph inputs for each calibration image, prepared by the test pipeline
    stored in the model file, one image per feed."""
    meta = read_metadata(model_path)
    cfg = embedded_config(meta)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    pipeline = Compose(image_only_pipeline(cfg.test_dataloader.dataset.pipeline))
    _, size = input_shape(meta)
    for path in _calibration_images(calib, cfg, num_images):
        image = pipeline(dict(img_path=path, img_id=0))['inputs']
        yield pack_inputs([image], meta[META_TASK], size, [path], model_path)


class _Reader:
    """onnxruntime's CalibrationDataReader protocol over the feeds."""

    def __init__(self, feeds: Iterable[dict]):
        self._feeds = iter(feeds)

    def get_next(self) -> Optional[dict]:
        return next(self._feeds, None)


def float_layers(model_path: str) -> List[str]:
    """Names of the layers of the ONNX file ``model_path`` that stay float: the
    quantizable ones inside :data:`FLOAT_SCOPES`."""
    return [node.name for node in onnx.load(model_path).graph.node
            if node.op_type in QUANTIZED_OPS
            and any(scope in node.name for scope in FLOAT_SCOPES)]


def quantize_feeds(model_path: str, feeds: Iterable[dict], out: str) -> None:
    """Write the INT8 (QDQ) version of the ONNX file ``model_path`` to ``out``,
    activation ranges calibrated on ``feeds`` (graph inputs by name); any ONNX
    file, e.g. an exported backbone. The settings are the module's."""
    from onnxruntime.quantization import (CalibrationMethod, QuantFormat,
                                          QuantType, quant_pre_process,
                                          quantize_static)
    if osp.dirname(out):
        os.makedirs(osp.dirname(out), exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        # shape inference and graph clean-up first, as onnxruntime advises
        prepared = osp.join(tmp, 'prepared.onnx')
        quant_pre_process(model_path, prepared, skip_symbolic_shape=True)
        kept_float = float_layers(prepared)
        quantize_static(
            prepared,
            out,
            _Reader(feeds),
            quant_format=QuantFormat.QDQ,
            op_types_to_quantize=list(QUANTIZED_OPS),
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.MinMax,
            nodes_to_exclude=kept_float)


def quantize(model_path: str, calib: str, out: str, num_images: int = 32) -> None:
    """Write the INT8 (QDQ) version of the exported model ``model_path`` to
    ``out``, calibrated on the images ``calib`` names; the metadata (config,
    classes, input shape) carries over.

    Raises:
        CLIError: the model or the calibration data cannot be read.
    """
    if num_images < 1:
        raise CLIError(f'--num-images must be positive, got {num_images}')
    try:
        feeds = list(calibration_feeds(model_path, calib, num_images))
    except (FileNotFoundError, ValueError) as err:
        raise CLIError(str(err)) from err
    quantize_feeds(model_path, feeds, out)
    source, quantized = onnx.load(model_path), onnx.load(out)
    onnx.helper.set_model_props(
        quantized, {p.key: p.value for p in source.metadata_props})
    onnx.save(quantized, out)
