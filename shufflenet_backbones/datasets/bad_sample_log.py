"""Reporting of samples that cannot be used: one warning per file, and a record that
survives DataLoader worker processes.

Workers are separate processes, so a count kept in the transform would stay in the
worker. Each skip is therefore appended as one JSON line to the file named by the
environment variable :data:`BAD_SAMPLES_ENV`, which :class:`BadSampleHook` sets
before the loaders start their workers (workers inherit the environment of the
process that starts them). Writes of one short line with ``O_APPEND`` do not
interleave, so several workers may share the file. Without the variable (no hook)
the warning is all there is.
"""
import json
import logging
import os
from typing import Dict, List, Optional

from mmengine.logging import print_log

__all__ = [
    'BAD_SAMPLES_ENV', 'SkippedSample', 'check_image_bytes', 'read_bad_samples',
    'report_bad_sample'
]

# The file skipped samples are recorded in (set by BadSampleHook).
BAD_SAMPLES_ENV = 'SHUFFLENET_BAD_SAMPLES_FILE'


class SkippedSample(ValueError):
    """A sample that cannot be used; the message names the file and why."""


def check_image_bytes(data: bytes) -> Optional[str]:
    """Return why encoded image ``data`` is incomplete, or None if it looks whole.

    OpenCV (mmcv's default decoder) decodes a truncated PNG or JPEG partially and
    only prints to stderr, so a decoded array proves nothing. A whole PNG ends with
    its ``IEND`` chunk and a whole JPEG with the EOI marker. Some cameras append data
    after the EOI, so a JPEG without it at the end is fully decoded by Pillow, which
    raises on a truncated file, before it is called truncated.

    Args:
        data (bytes): The file's content.

    Returns:
        str or None: The reason, e.g. ``'truncated PNG (no IEND chunk)'``.

    Example:
        >>> check_image_bytes(b'')
        'empty file'
    """
    if not data:
        return 'empty file'
    if data.startswith(b'\x89PNG\r\n\x1a\n'):
        # IEND: 4-byte length 0, type, 4-byte CRC, then at most padding
        return None if b'IEND' in data[-64:] else 'truncated PNG (no IEND chunk)'
    if data.startswith(b'\xff\xd8'):
        if data.rstrip(b'\x00\r\n ')[-2:] == b'\xff\xd9':
            return None
        return _pillow_check(data, 'JPEG')
    return None  # other formats: the decoder's verdict only


def _pillow_check(data: bytes, kind: str) -> Optional[str]:
    import io

    from PIL import Image, ImageFile

    # a global that other code may set; it would make Pillow pad silently
    saved, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
    except Exception as e:  # noqa: BLE001  (any decoder error means unusable)
        return f'truncated or corrupt {kind} ({e})'
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = saved
    return None


def report_bad_sample(path: str, reason: str, action: str = 'skipped') -> None:
    """Warn once about ``path`` and record it for :class:`BadSampleHook`.

    Args:
        path (str): The file.
        reason (str): Why it cannot be used.
        action (str): What happens to the sample, for the message.
            Defaults to 'skipped'.
    """
    print_log(f'Bad sample {action}: {path}: {reason}', logger='current',
              level=logging.WARNING)
    record = os.environ.get(BAD_SAMPLES_ENV)
    if not record:
        return
    line = json.dumps(dict(file=str(path), reason=reason)) + '\n'
    fd = os.open(record, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def read_bad_samples(record: str, offset: int = 0) -> List[Dict[str, str]]:
    """The samples recorded in ``record`` from byte ``offset`` on, in order.

    Args:
        record (str): The file :func:`report_bad_sample` appends to.
        offset (int): Where to start reading. Defaults to 0.

    Returns:
        list[dict]: ``dict(file=..., reason=...)`` per skip (a file skipped twice
        appears twice).
    """
    if not os.path.isfile(record):
        return []
    with open(record, 'rb') as f:
        f.seek(offset)
        lines = f.read().decode().splitlines()
    return [json.loads(line) for line in lines if line.strip()]
