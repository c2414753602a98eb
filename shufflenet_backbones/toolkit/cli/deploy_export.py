"""Export a trained detector, segmenter or classifier to one ONNX file.

The command line of ``tools/deploy/export.py``; the work is done by
:mod:`shufflenet_backbones.toolkit.deploy.export`.
"""
import argparse
import logging
import sys

from mmengine.config import DictAction

from ..deploy.export import (DEFAULT_EXPORTER, DYNAMO_OPSET, EXPORTER_HELP,
                             EXPORTERS, OPSET, ExportError, export)
from ..deploy.metadata import META_SHAPE, META_TASK

PROG = 'export.py'


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split('\n')[0])
    parser.add_argument('config', help='the model\'s config file')
    parser.add_argument('checkpoint', help='its trained weights (.pth)')
    parser.add_argument('out', help='the ONNX file to write')
    parser.add_argument('--shape', type=int, nargs=2, metavar=('H', 'W'),
                        help='a fixed input size (default: any size)')
    parser.add_argument('--batch', type=int, default=1, help='batch size')
    parser.add_argument('--dynamic', action='store_true',
                        help='with --shape: let batch, height and width vary')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, xxx=yyy')
    parser.add_argument('--exporter', choices=EXPORTERS, default=DEFAULT_EXPORTER,
                        help=EXPORTER_HELP)
    args = parser.parse_args(argv)
    # onnx_ir logs each empty list attribute that torchlib's functions build
    # while translating; the optimizer removes them all before the file is
    # written
    logging.getLogger('onnx_ir').setLevel(logging.ERROR)
    try:
        meta = export(args.config, args.checkpoint, args.out,
                      tuple(args.shape) if args.shape else None, args.batch,
                      args.dynamic, args.cfg_options, args.exporter)
    except ExportError as err:
        print(f'{PROG}: error: {err}', file=sys.stderr)
        sys.exit(1)
    opset = OPSET if args.exporter == 'torchscript' else DYNAMO_OPSET
    print(f'wrote {meta[META_TASK]} model {args.out} '
          f'(input {meta[META_SHAPE]}, opset {opset}, {args.exporter} exporter)')
