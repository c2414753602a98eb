"""Check that a detector's anchors fit its training boxes (and fit them).

    python tools/data/check_anchors.py CONFIG [--data DIR] [--auto-anchors]
                                       [--out FILE.py] [--cfg-options k=v ...]

Prints the number of boxes, their sizes at the train pipeline's scale, the anchors,
the share of boxes whose best shape IoU with an anchor is below the assigner's
pos_iou_thr and min_pos_iou, and one warning line when the fit is bad.
The command is :mod:`shufflenet_backbones.toolkit.cli.check_anchors`.
"""
from shufflenet_backbones.toolkit.cli.check_anchors import main

if __name__ == '__main__':
    main()
