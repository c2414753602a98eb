"""Decode every image of a config's datasets and check it against its annotations.

    python tools/data/check_dataset.py CONFIG [--split train val test] [--workers N]

Lists each problem on one line (file, field, what is wrong) and a summary, and exits
with 1 when there is any. Decode results are cached next to the annotation file (or
in the data root), so a second run over unchanged data only decodes what changed.
See :mod:`shufflenet_backbones.data.doctor`.
"""
import sys

from shufflenet_backbones.data.doctor import main

if __name__ == '__main__':
    sys.exit(main())
