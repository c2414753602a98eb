"""Write the synthetic shapes segmentation dataset (COCO-Stuff164k layout) used by
the segmentation demo and tests.

    python tools/data/generate_shapes_stuff.py OUT [--num-train 200] [--num-val 50]
        [--size 128] [--max-objects 3] [--seed 0]

OUT gets ``images/{train2017,val2017}/*.jpg`` and
``annotations/{train2017,val2017}/*_labelTrainIds.png`` (0 background, 1-3 circle /
square / triangle, 255 ignored borders); point a config's ``data_root`` at it. The
same arguments give the same files. See
:func:`shufflenet_backbones.toolkit.data.synthetic_stuff.generate_shapes_stuff`.
"""
from shufflenet_backbones.toolkit.cli.generate_data import \
    generate_shapes_stuff_main

if __name__ == '__main__':
    generate_shapes_stuff_main()
