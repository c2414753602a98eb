"""Write the newest benchmark reports into docs/performance.md.

    python tools/analysis/update_performance_doc.py [--bench-dir work_dirs/benchmarks]
        [--doc docs/performance.md]

The command is
:mod:`shufflenet_backbones.toolkit.cli.benchmarks.update_performance_doc`.
"""
from shufflenet_backbones.toolkit.cli.benchmarks.update_performance_doc import \
    main

if __name__ == '__main__':
    main()
