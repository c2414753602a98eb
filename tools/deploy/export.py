"""Export a trained detector, segmenter or classifier to one ONNX file (standard ops
only; onnxruntime and OpenVINO run it).

    python tools/deploy/export.py CONFIG CHECKPOINT OUT.onnx [--shape H W]
                                  [--batch N] [--dynamic] [--cfg-options k=v ...]
                                  [--exporter {torchscript,dynamo}]

The command is :mod:`shufflenet_backbones.toolkit.cli.deploy_export`.
"""
from shufflenet_backbones.toolkit.cli.deploy_export import main

if __name__ == '__main__':
    main()
