"""Run a model exported by tools/deploy/export.py on your own images with
onnxruntime or OpenVINO: drawn images and predictions as JSON in OUT_DIR.

    python tools/deploy/infer.py MODEL.onnx IMAGE_OR_DIR [IMAGE_OR_DIR ...]
                                 [--backend {onnxruntime,openvino}]
                                 [--out-dir DIR] [--score-thr 0.3] [--threads N]
                                 [--slice H W [--overlap 0.2] [--no-whole-image]]

The command is :mod:`shufflenet_backbones.toolkit.cli.deploy_infer`.
"""
from shufflenet_backbones.toolkit.cli.deploy_infer import main

if __name__ == '__main__':
    main()
