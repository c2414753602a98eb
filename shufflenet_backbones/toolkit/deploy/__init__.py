"""Deployment (not imported by the plugin): whole detectors, segmenters and
classifiers exported to ONNX (:mod:`.export`; the metadata the file carries:
:mod:`.metadata`), run by onnxruntime or OpenVINO (:mod:`.runtime`,
:mod:`.backend_model`, :mod:`.backend_inferencers`) and quantized to INT8
(:mod:`.quantize`). Nothing is imported here; import the module you use."""
