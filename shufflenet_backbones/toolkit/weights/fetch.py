"""Fetching one entry of the table: download (or copy ``--src``) next to the
destination, check its sha256 against the table, run its converters, check that
the result fits the backbone, and only then move it into place; on any error
nothing is left behind (:func:`fetch`, behind ``tools/get_weights.py``)."""
import hashlib
import io
import os
import os.path as osp
import tempfile
import urllib.error
import urllib.request
from contextlib import redirect_stdout
from pathlib import Path
from typing import Callable, Optional

from ...checkpoint.state_dict import (BACKBONE_PREFIX, compare_state_dicts,
                                      describe_mismatch, read_checkpoint,
                                      save_state_dict, state_dict_of)
from .converters import converter
from .zoo import DEFAULT_DIR, FetchError, WeightsEntry, lookup

_CHUNK = 1 << 20


def _download(name: str, url: str, dst: str) -> str:
    """Copy ``url`` (a URL, ``file://`` included, or a local path) to ``dst``;
    return the sha256 of the bytes."""
    if '://' not in url:
        url = Path(url).resolve().as_uri()
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=60) as response, \
                open(dst, 'wb') as f:
            while True:
                chunk = response.read(_CHUNK)
                if not chunk:
                    break
                digest.update(chunk)
                f.write(chunk)
    except (urllib.error.URLError, OSError, ValueError) as err:
        reason = getattr(err, 'reason', None) or err
        raise FetchError(f'{name}: download failed: {url}: {reason}') from err
    return digest.hexdigest()


def _verify(name: str, entry: WeightsEntry, url: str, sha256: str) -> None:
    if not sha256.startswith(entry.sha256.lower()):
        kind = 'prefix ' if entry.sha256_is_prefix else ''
        raise FetchError(f'{name}: sha256 mismatch for {url}: expected {kind}'
                         f'{entry.sha256}, got {sha256}')


def _check_fits(name: str, entry: WeightsEntry, path: str) -> None:
    """The converted file holds exactly the backbone's weights (``backbone.*``)."""
    from ... import models
    kwargs = dict(entry.backbone)
    backbone = getattr(models, kwargs.pop('type'))(**kwargs)
    model_sd = {BACKBONE_PREFIX + k: v for k, v in backbone.state_dict().items()}
    ckpt_sd = {
        k: v
        for k, v in state_dict_of(read_checkpoint(path), path).items()
        if k.startswith(BACKBONE_PREFIX)
    }
    mismatch = compare_state_dicts(model_sd, ckpt_sd)
    if any(mismatch):
        raise FetchError(f'{name}: the converted file does not fit '
                         f'{entry.backbone}: {describe_mismatch(*mismatch)}')


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _run_steps(name: str, entry: WeightsEntry, url: str, dst: str,
               temp: Callable[[], str], log: Callable[[str], None]) -> None:
    """Download ``url`` to a temp file, verify, convert, check; write ``dst``."""
    current = temp()
    sha256 = _download(name, url, current)
    _verify(name, entry, url, sha256)
    log(f'{name}: downloaded {url}, sha256 {sha256}' +
        (f' (the table knows only the prefix {entry.sha256}: fill in the rest in '
         'shufflenet_backbones/toolkit/weights/zoo.py)'
         if entry.sha256_is_prefix else ' (verified)'))
    # mmengine's loader prints every file it reads: temp files are no news here
    with redirect_stdout(io.StringIO()):
        for step in entry.converters:
            convert, out = converter(step), temp()
            try:
                convert(current, out)
            except Exception as err:  # each converter's own error type: one line
                reason = str(err).splitlines()[0] if str(err) else repr(err)
                raise FetchError(
                    f'{name}: {step} conversion failed: {reason}') from err
            current = out
        _check_fits(name, entry, current)
        checkpoint = read_checkpoint(current)

    # the steps' meta, but for the temporary file they read
    meta = {k: v for k, v in (checkpoint.get('meta') or {}).items()
            if k != 'converted_from'}
    meta.update(model_zoo_name=name, source=entry.url, sha256=sha256,
                converters=entry.converters)
    final = temp()
    save_state_dict(checkpoint['state_dict'], meta, final)
    os.chmod(final, 0o666 & ~_umask())  # mkstemp's files are private (0600)
    os.replace(final, dst)


def fetch(name: str, directory: str = DEFAULT_DIR, src: Optional[str] = None,
          log: Callable[[str], None] = print) -> str:
    """Download, verify, convert and place the weights called ``name``.

    Args:
        name (str): A key of :data:`MODEL_ZOO`.
        directory (str): Where to write ``entry.filename``. Default: 'checkpoints'.
        src (str, optional): A copy of the published file (path or URL) to read
            instead of ``entry.url``; its sha256 must match all the same.
            Default: None.
        log (callable): Receives one line per step. Default: print.

    Returns:
        str: The path written.

    Raises:
        FetchError: unknown ``name``, failed download, wrong hash, failed
            conversion, or a result that does not fit the backbone. No file is left
            behind then (an earlier file at the destination is kept).
    """
    entry = lookup(name)
    created = not osp.isdir(directory)
    os.makedirs(directory, exist_ok=True)
    dst = osp.join(directory, entry.filename)
    temps = []

    def temp() -> str:
        # in the target directory, so that os.replace is an atomic rename
        fd, path = tempfile.mkstemp(dir=directory, prefix=f'.{name}.', suffix='.part')
        os.close(fd)
        temps.append(path)
        return path

    try:
        _run_steps(name, entry, src or entry.url, dst, temp, log)
    finally:
        for path in temps:
            if osp.exists(path):
                os.remove(path)
        if created and not osp.exists(dst) and not os.listdir(directory):
            os.rmdir(directory)  # a failed first fetch leaves no trace
    log(f'{name}: wrote {dst} ({" -> ".join(entry.converters)}); input: '
        f'{entry.preprocessing}; published top-1: '
        f'{entry.top1 if entry.top1 is not None else "none"} ({entry.top1_source})')
    if entry.note:
        log(f'{name}: note: {entry.note}')
    return dst
