"""Decode every image of a config's datasets and check it against its annotations.

    python tools/data/check_dataset.py CONFIG [--split train val test] [--workers N]

Lists each problem on one line (file, field, what is wrong) and a summary, and exits
with 1 when there is any. Decode results are cached next to the annotation file (or
in the data root), so a second run over unchanged data only decodes what changed.
The command is :mod:`shufflenet_backbones.toolkit.cli.check_dataset`.
"""
import sys

from shufflenet_backbones.toolkit.cli.check_dataset import main

if __name__ == '__main__':
    sys.exit(main())
