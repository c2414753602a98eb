"""The toolkit: everything that is not the plugin, organised by concern, for
``tools/`` and for users who import it. The plugin (importing
``shufflenet_backbones``) never imports it.

- :mod:`.errors`: the one error type of expected input problems (the bottom layer);
- :mod:`.data`: generated datasets, dataset checks and the dataset doctor;
- :mod:`.weights`: published weights (table, fetching, converters);
- :mod:`.analysis`: FLOPs, parameters, summaries, loss curves, report files;
- :mod:`.inference`: a trained checkpoint on your own images;
- :mod:`.deploy`: whole models to ONNX, run by onnxruntime / OpenVINO, INT8;
- :mod:`.benchmarks`: speed and memory measurements (not in the wheel);
- :mod:`.cli`: every command's argument parsing and ``main`` (the top layer).

docs/layout.md gives the import rules; tests/test_layout.py checks them.
"""
