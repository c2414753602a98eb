"""Extract the backbone weights of a trained classifier checkpoint.

The command line of ``tools/model_converters/extract_backbone.py``; the work is done by
:mod:`shufflenet_backbones.toolkit.weights.backbone_extraction`.
"""
import argparse
import sys

from ..weights.backbone_extraction import ExtractionError, extract


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='classifier checkpoint (.pth) from training')
    parser.add_argument('dst', help='where to write the backbone checkpoint')
    args = parser.parse_args(argv)
    try:
        meta = extract(args.src, args.dst)
    except ExtractionError as err:
        print(f'extract_backbone.py: error: {err}', file=sys.stderr)
        sys.exit(1)
    arch = meta.get('backbone', {}).get('type', 'backbone')
    print(f'wrote {meta["num_tensors"]} tensors of {arch} to {args.dst}')
