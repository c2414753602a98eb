"""Write the synthetic shapes classification dataset (mmpretrain's ImageNet layout)
used to try the ImageNet pretraining configs without ImageNet.

    python tools/data/generate_imagenet_folder.py OUT [--num-train 100]
        [--num-val 20] [--size 64] [--seed 0]

OUT gets ``{train,val}/<wnid>/*.png`` (three classes: circle, square, triangle under
ImageNet's first three wnids, labels 0-2) and ``meta/{train,val}.txt``; point a
config's ``data_root`` at it. The same arguments give the same files. See
:func:`shufflenet_backbones.toolkit.data.synthetic_imagenet.generate_imagenet_folder`.
"""
from shufflenet_backbones.toolkit.cli.generate_data import \
    generate_imagenet_folder_main

if __name__ == '__main__':
    generate_imagenet_folder_main()
