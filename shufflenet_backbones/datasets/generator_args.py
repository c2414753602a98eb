"""The command-line arguments the dataset generators in tools/data share."""
import argparse

__all__ = ['positive_int', 'add_generator_args']


def positive_int(text: str) -> int:
    """argparse type for counts and sizes: a bad value is reported by argparse,
    naming the option (``argument --size: must be a positive integer, got '0'``)."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f'must be a positive integer, got {text!r}')
    return int(text)


def add_generator_args(parser: argparse.ArgumentParser, num_train: int,
                       num_val: int, size: int, counted: str = 'images') -> None:
    """Add OUT, ``--num-train``, ``--num-val``, ``--size`` and ``--seed`` with the
    given defaults; ``counted`` says what the two counts count."""
    parser.add_argument('out_dir', help='output folder (a config\'s data_root)')
    parser.add_argument('--num-train', type=positive_int, default=num_train,
                        help=f'training {counted} (default: {num_train})')
    parser.add_argument('--num-val', type=positive_int, default=num_val,
                        help=f'validation {counted} (default: {num_val})')
    parser.add_argument('--size', type=positive_int, default=size,
                        help=f'side of the square images in pixels (default: {size})')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
