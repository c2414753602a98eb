"""What ``tools/train.py`` and ``tools/test.py`` run (not imported by the plugin):
their shared options and checks in :mod:`.common`, and each command's logic in its
own module. The scripts in ``tools/`` only parse arguments and call these."""
