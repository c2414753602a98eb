"""Plot the training losses that mmengine logged in a work dir.

    python tools/analysis/plot_loss.py WORK_DIR [--out FILE]

The command is :mod:`shufflenet_backbones.toolkit.cli.plot_loss`.
"""
from shufflenet_backbones.toolkit.cli.plot_loss import main

if __name__ == '__main__':
    main()
