"""The toolkit's one error type for expected problems with a user's input, and how
a command reports it. At the bottom of the toolkit's import graph: every part may
raise it, and only the commands (:mod:`.cli`) catch and print it."""
import sys

__all__ = ['CLIError', 'fail']


class CLIError(Exception):
    """An expected problem with the user's input: printed as one line, exit code 1."""


def fail(prog: str, err: Exception) -> None:
    """Report an expected problem in one line and exit with code 1."""
    print(f'{prog}: error: {err}', file=sys.stderr)
    sys.exit(1)
