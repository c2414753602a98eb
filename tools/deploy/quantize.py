"""Static INT8 post-training quantization (onnxruntime, QDQ, per-channel weights) of
a model exported by tools/deploy/export.py; box decoding, RoI pooling and NMS stay
float.

    python tools/deploy/quantize.py MODEL.onnx --calib DATA_DIR_OR_CONFIG
                                    --out MODEL_int8.onnx [--num-images 32]

The command is :mod:`shufflenet_backbones.toolkit.cli.deploy_quantize`.
"""
from shufflenet_backbones.toolkit.cli.deploy_quantize import main

if __name__ == '__main__':
    main()
