"""Write the newest benchmark reports into README.md's performance section.

    python tools/analysis/update_readme.py [--bench-dir work_dirs/benchmarks]
        [--readme README.md]

The logic lives in :mod:`shufflenet_backbones.analysis.readme`.
"""
from shufflenet_backbones.analysis.readme import main

if __name__ == '__main__':
    main()
