"""Plot the training losses that mmengine logged in a work dir.

    python tools/analysis/plot_loss.py WORK_DIR [--out FILE]

The logic lives in :mod:`shufflenet_backbones.analysis.loss_curve`.
"""
from shufflenet_backbones.analysis.loss_curve import main

if __name__ == '__main__':
    main()
