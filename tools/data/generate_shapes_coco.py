"""Write the synthetic shapes dataset (COCO format) used by the demos and tests.

    python tools/data/generate_shapes_coco.py OUT [--num-train 200] [--num-val 50]
        [--size 128] [--max-objects 2] [--seed 0]

OUT gets ``annotations/instances_{train,val}.json`` and the ``train/`` and ``val/``
image folders; point a config's ``data_root`` at it. The same arguments always give
the same files. The command is :mod:`shufflenet_backbones.toolkit.cli.generate_data`.
"""
from shufflenet_backbones.toolkit.cli.generate_data import \
    generate_shapes_coco_main

if __name__ == '__main__':
    generate_shapes_coco_main()
