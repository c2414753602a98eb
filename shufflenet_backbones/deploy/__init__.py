"""Workflow code for deployment (not imported by the plugin): whole detectors,
segmenters and classifiers exported to ONNX (:mod:`.export`), run by onnxruntime or
OpenVINO (:mod:`.runtime`, :mod:`.backend_model`, :mod:`.infer`) and quantized to
INT8 (:mod:`.quantize`). Nothing is imported here; import the module you use."""
