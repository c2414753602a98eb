"""Speed and memory benchmarks (behind ``tools/analysis/benchmark_*.py``): timing,
the backbone and detector benchmarks, and the performance doc rendered from their
reports. Not in the wheel (setup.cfg): they run from a checkout."""
