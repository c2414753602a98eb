"""Published ImageNet weights, one command each: download, verify, convert, place.

The command line of ``tools/get_weights.py``; the work is done by
:mod:`shufflenet_backbones.toolkit.weights.fetch`.
"""
import argparse
import sys

from ..weights.fetch import fetch
from ..weights.zoo import DEFAULT_DIR, FetchError, init_cfg_line, table


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        epilog='Known names:\n' + table(),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('name', nargs='?', help='a name from --list')
    parser.add_argument('--dir', default=DEFAULT_DIR,
                        help=f'where to write the file (default: {DEFAULT_DIR}, '
                        'where the configs look)')
    parser.add_argument('--src', metavar='PATH_OR_URL',
                        help='a copy of the published file to use instead of '
                        'downloading it (its sha256 is checked all the same)')
    parser.add_argument('--list', action='store_true',
                        help='print the known names and exit')
    args = parser.parse_args(argv)
    if args.list:
        print(table())
        return
    if args.name is None:
        parser.error('NAME is required (--list shows the names)')
    try:
        path = fetch(args.name, args.dir, args.src)
    except FetchError as err:
        print(f'get_weights.py: error: {err}', file=sys.stderr)
        sys.exit(1)
    print(init_cfg_line(path))
