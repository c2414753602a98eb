"""Annotations in other formats in, a COCO folder out (``tools/data/convert.py``).

A reader turns a Pascal VOC, YOLO, CSV, LabelMe or COCO source into one in-memory
:class:`SourceDataset`; :func:`split_dataset` keeps the source's train / val split
or makes one; :func:`write_coco` writes the folder that
``tools/data/generate_shapes_coco.py OUT`` writes and ``tools/train.py CONFIG
--data DST`` reads::

    DST/annotations/instances_train.json
    DST/annotations/instances_val.json
    DST/train/<file_name>    (symlinks to the source images, or copies)
    DST/val/<file_name>

The sources (``SRC``):

- ``voc``: ``SRC/Annotations/*.xml`` and ``SRC/JPEGImages/``; the split of
  ``SRC/ImageSets/Main/{train,val}.txt`` when both exist (images in neither are
  left out). ``difficult=1`` boxes become ``iscrowd=1``: mmdet's CocoDataset then
  ignores them in training and evaluation, as its own VOC loader does with
  difficult boxes (an empty ``<difficult/>`` is 0).
- ``yolo``: ``SRC/images/{train,val}/`` with ``SRC/labels/{train,val}/``, or
  ``SRC/{train,val|valid}/{images,labels}/`` (both kept as the split);
  ``SRC/images/`` with ``SRC/labels/``; or images and their ``.txt`` files side by
  side (Darknet). The class names come from ``SRC/classes.txt`` or
  ``SRC/obj.names`` (one a line) or ``SRC/data.yaml`` (``names:``, a list or a
  ``{id: name}`` dict). Lines ``class cx cy w h``, normalised to the image size;
  polygon lines (YOLO segmentation) become their bounding box.
- ``csv``: one CSV file (SRC, or the only ``*.csv`` in SRC) in deepforest's format:
  the header row ``image_path,xmin,ymin,xmax,ymax,label`` (any order, other
  columns ignored), one row per box in pixels, ``image_path`` relative to the CSV's
  folder; a row with the box and label empty (or deepforest's ``0,0,0,0`` box)
  lists an image without objects.
- ``labelme``: LabelMe ``*.json`` files anywhere under SRC, each naming its image
  (``imagePath``, relative to the json file). ``rectangle`` shapes become boxes,
  ``polygon`` shapes their bounding box (the polygon itself is not kept); other
  shape types (circle, line, point, ...) are left out and counted.
- ``coco``: a COCO json file, or a folder with one (in SRC or SRC/annotations/), or
  with one whose name says train and one that says val (in SRC, SRC/annotations/
  or SRC/{train,val,valid}/; kept as the split). The images are looked up beside
  the json and in its ``images/`` folder (for a json in ``annotations/``: beside
  that folder, in ``images/`` and, for COCO's own
  ``annotations/instances_train2017.json``, in ``train2017/``), then in SRC and
  SRC/images/. Segmentations, areas and ``iscrowd`` are kept.

For every format: images without an annotation file, or with one listing no
object, are kept with no annotations; image sizes are read from the image files
with their EXIF orientation applied (mmcv decodes photos rotated by it), and a size
the annotation file states must agree; boxes are taken in pixels as written (no
1-based shift, as mmdet's own VOC loader) and clipped to the image (counted in the
notes). Category ids are 1, 2, ... in class order: the order of the names file
(YOLO, or ``classes=``), else the sorted class names (VOC, CSV, LabelMe), or the
source's categories sorted by id (COCO). Image ids are 1, 2, ... in file-name
order within each split, annotation ids 1, 2, ... in that order.

Why globox (2.9.0, MIT, pure Python): its per-box parsers do the format-specific
arithmetic: VOC ``<bndbox>`` corners (:meth:`globox.BoundingBox.from_xml`), YOLO's
normalised ``cx cy w h`` to pixel corners (``from_yolo``) and YOLO segmentation
polygons to boxes (``from_yolo_seg``), LabelMe rectangles in either corner order
and polygons to boxes (``from_labelme``). What it gets wrong or leaves out, and
this module adds: its folder readers keep only images that have an annotation
file (YOLO: only those with one exact, case-sensitive extension, and a label file
without its image raises ``KeyError``); it reads image sizes from file headers
with no EXIF orientation, or trusts the annotation's ``<size>`` / ``imageWidth``;
it ignores VOC's ``difficult``; YOLO class ids stay strings (``'0'``) and there
is no ``data.yaml`` reader; its errors name neither the line nor the field (VOC
object errors are a bare ``ValueError``, an inverted box an ``AssertionError``,
which ``python -O`` skips); other LabelMe shape types are dropped
silently; there is no reader of plain CSV boxes; and its COCO writer numbers
images, categories and annotations from 0 (``COCOeval`` takes a match with
annotation id 0 for no match) and never writes ``iscrowd=1``. So globox only
parses boxes here; the files, sizes, classes, ids, split and COCO output are ours.
"""
from .coco import read_coco
from .conversion import FORMATS, READERS, convert_dataset, read_dataset
from .csv_table import read_csv
from .labelme import read_labelme
from .source import (IMAGE_SUFFIXES, SourceBox, SourceDataset, SourceImage,
                     image_size, read_class_names)
from .voc import read_voc
from .writer import split_dataset, write_coco
from .yolo import read_yolo

__all__ = [
    'FORMATS', 'IMAGE_SUFFIXES', 'READERS', 'SourceBox', 'SourceDataset',
    'SourceImage', 'convert_dataset', 'image_size', 'read_class_names',
    'read_coco', 'read_csv', 'read_dataset', 'read_labelme', 'read_voc',
    'read_yolo', 'split_dataset', 'write_coco'
]
