"""Every command of the toolkit: its argument parsing and its ``main``, one module
per command (argparse is used nowhere else). Each ``tools/`` script is a launcher
that calls one of these; :mod:`.common` holds what ``train`` and ``test`` share.
The benchmark commands are in :mod:`.benchmarks`, which is not in the wheel."""
