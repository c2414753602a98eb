"""Convert a VOC, YOLO, CSV, LabelMe or COCO dataset into this project's COCO folder.

    python tools/data/convert.py SRC DST --from {voc,yolo,csv,labelme,coco}
                                 [--val-fraction 0.2] [--seed 0] [--copy]
                                 [--classes FILE]

Writes DST/annotations/instances_{train,val}.json and DST/train/, DST/val/ (the
images symlinked, or copied with --copy), the layout of
tools/data/generate_shapes_coco.py, for ``tools/train.py CONFIG --data DST``.
The command is :mod:`shufflenet_backbones.toolkit.cli.convert_dataset`.
"""
import sys

from shufflenet_backbones.toolkit.cli.convert_dataset import main

if __name__ == '__main__':
    sys.exit(main())
