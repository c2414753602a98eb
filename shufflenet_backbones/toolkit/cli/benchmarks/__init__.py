"""The benchmark commands (``tools/analysis/benchmark_*.py``,
``tools/analysis/update_performance_doc.py``). Not in the wheel, like
:mod:`shufflenet_backbones.toolkit.benchmarks`: they run from a checkout."""
