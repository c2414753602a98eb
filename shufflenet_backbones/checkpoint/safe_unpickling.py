"""Load mmengine checkpoints with torch's safe (``weights_only``) unpickler.

Since torch 2.6, ``torch.load`` defaults to ``weights_only=True``: it only rebuilds
tensors, containers and plain Python values, plus whatever has been put on an
allow-list with :func:`torch.serialization.add_safe_globals`. mmengine 0.10.7 does not
pass ``weights_only`` and writes a few objects that are not on torch's default list
(``HistoryBuffer`` in the message hub, numpy arrays and scalars), so ``--resume``,
``load_from`` and ``init_cfg=dict(type='Pretrained', ...)`` fail on its own
checkpoints with ``UnpicklingError``.

:func:`allow_mmengine_checkpoints` fixes that without switching ``weights_only`` off:

* it allow-lists exactly the globals a mmengine Runner checkpoint contains (see
  :func:`_safe_globals`; each entry says why it cannot run code), and
* it replaces mmengine's loader for local paths with :func:`load_from_local`, which
  always loads with ``weights_only=True`` and turns torch's refusal into a
  :class:`UnsafeCheckpointError` naming the file and the offending global.

Anything else (e.g. an object whose ``__reduce__`` calls ``os.system``) is still
refused before any of it runs. To load a file you trust that holds some other plain
data type, allow just that type around the call::

    with torch.serialization.safe_globals([MyType]):
        runner.load_checkpoint('trusted.pth')

Remote schemes (``http://``, ``open-mmlab://`` ...) keep mmengine's loaders; they call
``torch.load`` with torch's default, so they use the same allow-list.
"""
import os.path as osp
import pickle
import re

import numpy as np
import torch

__all__ = ['allow_mmengine_checkpoints', 'load_from_local', 'UnsafeCheckpointError']


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint holds a global that is not allowed for ``weights_only`` loads."""


def _supported() -> bool:
    # The problem only exists where weights_only is the default (torch >= 2.6), which is
    # also where add_safe_globals accepts (global, 'name') pairs, used below.
    return torch.__version__ >= (2, 6)


# What ``HistoryBuffer.__getstate__`` pickles as ``getattr(HistoryBuffer, name)``: the
# statistics methods ``HistoryBuffer._set_default_statistics`` registers.
_HISTORY_BUFFER_METHODS = ('min', 'max', 'current', 'mean')


def _history_buffer_getattr(obj, name):
    """Stands in for ``builtins.getattr`` while unpickling, for one use only.

    ``HistoryBuffer`` pickles its statistics methods as ``getattr(HistoryBuffer,
    'mean')`` etc. The real ``getattr`` must not be allowed: applied to allowed objects
    it reaches ``__globals__``, modules, descriptors... This one returns only those
    four plain functions and refuses everything else.
    """
    from mmengine.logging import HistoryBuffer
    if obj is HistoryBuffer and name in _HISTORY_BUFFER_METHODS:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'GLOBAL builtins.getattr is only allowed as getattr(HistoryBuffer, name) with '
        f'name in {_HISTORY_BUFFER_METHODS}, not getattr({obj!r}, {name!r})')


def _safe_globals() -> list:
    """The allow-list, found by loading real Runner checkpoints with
    ``weights_only=True`` and reading the refusals. Every entry builds data from data,
    or is a type whose instances are filled by a fixed ``__setstate__`` -- none of them
    imports, calls or evaluates anything named in the file."""
    from mmengine.logging import HistoryBuffer

    multiarray = np._core.multiarray if hasattr(np, '_core') else np.core.multiarray
    allowed = [
        # The message hub's ``log_scalars`` (loss, lr, time ... history). Unpickling
        # calls ``HistoryBuffer.__new__`` (no ``__init__``), then its ``__setstate__``,
        # which stores the (allow-listed) values in ``__dict__`` and the statistics
        # methods, resolved by the restricted getattr below, in the class's table.
        # (A crafted file could put other allow-listed callables in that table; the
        # worst they do when a statistic is asked for is fail: none of them runs code.)
        HistoryBuffer,
        (_history_buffer_getattr, 'builtins.getattr'),
        # The array type for ``_reconstruct`` below, and the target of the C
        # ``ndarray.__setstate__`` that copies the raw bytes in. The only array type
        # allowed, so no subclass constructor can be reached.
        np.ndarray,
        # ``dtype('f8', False, True)`` parses a type code; its state is then set by the
        # C ``dtype.__setstate__``, which needs the concrete dtype class allowed too.
        np.dtype,
    ]
    # Those concrete dtype classes: numbers and booleans only (not object / void /
    # string dtypes, whose arrays could carry arbitrary Python objects).
    for code in '?bhilqBHILQefdgFDG':
        allowed.append(type(np.dtype(code)))
    # * ``_reconstruct(ndarray, shape, dtype)``: makes an empty array (numpy arrays:
    #   ``HistoryBuffer`` keeps its history in ndarrays, dataset meta may hold some).
    # * ``scalar(dtype, raw_bytes)``: reinterprets bytes as a number (numpy scalars:
    #   ``np.float64`` metrics, ``best_score`` and ``eta`` in the message hub).
    # numpy 2 writes ``numpy._core.multiarray.*``, numpy 1 ``numpy.core.multiarray.*``:
    # allow both names, each for the function of the installed numpy.
    for func in (multiarray._reconstruct, multiarray.scalar):
        for module in ('numpy._core.multiarray', 'numpy.core.multiarray'):
            allowed.append((func, f'{module}.{func.__name__}'))
    return allowed


def allow_mmengine_checkpoints() -> bool:
    """Let mmengine's own checkpoints load with ``weights_only=True``.

    Registers the allow-list of :func:`_safe_globals` with
    :func:`torch.serialization.add_safe_globals` and makes :func:`load_from_local` the
    loader mmengine's ``CheckpointLoader`` uses for local files (what
    ``Runner.resume`` / ``load_from``, ``load_checkpoint`` and ``Pretrained`` init go
    through). Idempotent: calling it again changes nothing. Called when the package is
    imported, so ``custom_imports=dict(imports=['shufflenet_backbones'])`` enables it.

    Returns:
        bool: False (and does nothing) on torch < 2.6, where ``torch.load`` still
        unpickles everything by default and mmengine works unchanged.
    """
    if not _supported():
        return False
    from mmengine.runner.checkpoint import CheckpointLoader

    present = torch.serialization.get_safe_globals()
    missing = [g for g in _safe_globals() if g not in present]
    if missing:
        torch.serialization.add_safe_globals(missing)
    # Prefix '' is mmengine's fallback scheme (plain local paths).
    CheckpointLoader.register_scheme(prefixes='', loader=load_from_local, force=True)
    return True


def load_from_local(filename, map_location=None):
    """Drop-in for ``mmengine.runner.checkpoint.load_from_local`` that loads with
    ``weights_only=True`` and reports a refused file clearly.

    (The name matters: mmengine logs ``"Loads checkpoint by <name[10:]> backend"``.)

    Raises:
        FileNotFoundError: ``filename`` is not a file.
        UnsafeCheckpointError: the file holds a global that is not allowed; nothing
            in the file has been run.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    try:
        return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        # torch re-raises the unpickler's error wrapped in advice (incl. "use
        # weights_only=False"); the unpickler's own one-line reason is its context.
        inner = err.__context__
        if not isinstance(inner, pickle.UnpicklingError):
            inner = err
        reason = (str(inner).strip() or repr(inner)).splitlines()[0]
        found = re.search(r'GLOBAL (\S+)', reason)
        found = found or re.search(r'GLOBAL (\S+)', str(err))
        culprit = found.group(1) if found else reason
        text = (f'Refused to load checkpoint {filename!r}: it contains `{culprit}`, '
                'which may not be unpickled with weights_only=True (allowed: tensors, '
                'plain containers and the mmengine/numpy types listed in '
                'shufflenet_backbones.checkpoint.safe_unpickling), so nothing was '
                'loaded and nothing in the file was run. If you trust this file '
                f'and `{culprit}` is only data, allow it for this one load with '
                '`with torch.serialization.safe_globals([...]):`.')
        if culprit != reason and 'was not an allowed global' not in reason:
            text += f' ({reason})'
        raise UnsafeCheckpointError(text) from err
