"""Check that a detector's anchors fit its training boxes, and fit them.

The command line of ``tools/data/check_anchors.py``; the work is done by
:mod:`shufflenet_backbones.toolkit.data.anchor_check` (and, with ``--data``,
:mod:`shufflenet_backbones.toolkit.data.custom_data`).
"""
import argparse
import os.path as osp
from typing import List, Optional

from mmengine.config import DictAction

from ..data.anchor_check import (apply_fit, check_anchors, check_warning,
                                 describe_check, describe_fit, fit_anchors)
from ..data.custom_data import apply_custom_data, describe_custom_data
from ..errors import CLIError, fail


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Measure how well a detector\'s anchors fit the boxes of its '
        'training data at the train pipeline\'s scale; fit them with '
        '--auto-anchors')
    parser.add_argument('config', help='detector config file')
    parser.add_argument(
        '--data', metavar='DIR',
        help='read the boxes from this COCO folder '
        '(DIR/annotations/instances_{train,val}.json, DIR/train/, DIR/val/), '
        'as tools/train.py --data does')
    parser.add_argument(
        '--auto-anchors', action='store_true',
        help='fit the anchor generator\'s scales and ratios to the boxes '
        '(k-means; as many anchors per location as before)')
    parser.add_argument(
        '--out', metavar='FILE.py',
        help='write the config (with --data: resolved for the folder; with '
        '--auto-anchors: with the fitted anchors, when they match more boxes)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config entries, xxx=yyy (as tools/train.py)')
    args = parser.parse_args(argv)
    if args.out is not None and not args.out.endswith('.py'):
        parser.error(f'argument --out: must be a .py file, got {args.out!r}')
    return args


def run(args: argparse.Namespace) -> None:
    from mmengine.config import Config  # after argparse: --help stays fast
    if not osp.isfile(args.config):
        raise CLIError(f'config file not found: {args.config}')
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.data:
        print('\n'.join(describe_custom_data(apply_custom_data(cfg, args.data))))
        if args.cfg_options is not None:  # explicit options win, as in train.py
            cfg.merge_from_dict(args.cfg_options)
    check = check_anchors(cfg)
    print('\n'.join(describe_check(check)))
    if args.auto_anchors:
        fit = fit_anchors(cfg, check)
        print('\n'.join(describe_fit(fit)))
        if apply_fit(cfg, fit):
            check = fit.after
    warning = check_warning(check, fitted=args.auto_anchors)
    if warning:
        print(warning)
    if args.out:
        cfg.dump(args.out)
        print(f'config written: {args.out}')


def main(argv: Optional[List[str]] = None) -> None:
    """Command line of ``tools/data/check_anchors.py``: exit code 1 on bad
    input (one ``error:`` line), 0 otherwise (a bad fit is a warning)."""
    args = parse_args(argv)
    try:
        run(args)
    except CLIError as err:
        fail('check_anchors.py', err)
