"""Published ImageNet weights, one command each: download, verify, convert, place.

    python tools/get_weights.py NAME [--dir checkpoints] [--src PATH_OR_URL]
    python tools/get_weights.py --list

NAME is a key of :data:`MODEL_ZOO`. The file is downloaded next to its destination
(a hidden ``.NAME.*.part`` file in ``--dir``), its sha256 checked against the table,
converted to this package's keys, checked to fit the backbone, and only then moved
to ``--dir/<file name the configs use>`` with ``os.replace``; on any error nothing
is left behind and one ``error:`` line names NAME and what failed (exit code 1).
The last line printed is the ``init_cfg`` that loads the file. ``--src`` takes a
copy of the published file (a local path or another URL) instead of the table's
URL, for machines that cannot reach it; the hash is checked all the same.

Hashes: torchvision and OpenMMLab put the first hex digits of the file's sha256 in
its name, and that prefix is all this table knows (no machine that wrote it could
download the files). A prefix is checked as a prefix; the full sha256 of the
download is printed so that whoever can download fills it in here.
"""
import difflib
import os.path as osp
import shlex
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional, Tuple

from ...checkpoint.state_dict import BACKBONE_PREFIX

__all__ = [
    'Preprocessing', 'WeightsEntry', 'MODEL_ZOO', 'DEFAULT_DIR', 'FetchError',
    'lookup', 'names_for_file', 'get_weights_command', 'init_cfg_line', 'table'
]

DEFAULT_DIR = 'checkpoints'  # where configs/*/*.py expect the files


@dataclass(frozen=True)
class Preprocessing:
    """The input the weights were trained for (what the data preprocessor must do).

    Args:
        color (str): Channel order the network takes, 'RGB' or 'BGR'.
        mean (tuple[float]): Per-channel mean, 0-255 scale, in ``color`` order.
        std (tuple[float]): Per-channel std, 0-255 scale, in ``color`` order.
        resize (int): Evaluation: short side resized to this, then ...
        crop (int): ... a centre crop of this size.
    """
    color: str
    mean: Tuple[float, float, float]
    std: Tuple[float, float, float]
    resize: int
    crop: int = 224

    def __str__(self) -> str:
        return (f'{self.color}, mean {list(self.mean)}, std {list(self.std)} '
                f'(0-255), eval resize {self.resize} / crop {self.crop}')


# torchvision's ImageNet statistics (0.485, 0.456, 0.406) / (0.229, 0.224, 0.225)
# times 255 -- the same numbers as mmpretrain's data_preprocessor and our configs.
_IMAGENET_MEAN = (123.675, 116.28, 103.53)
_IMAGENET_STD = (58.395, 57.12, 57.375)


@dataclass(frozen=True)
class WeightsEntry:
    """One published checkpoint and how it becomes a file the configs load.

    Args:
        url (str): Where the source file is published.
        sha256 (str): Its sha256 in hex: all 64 digits, or a known prefix.
        converters (tuple[str]): Names in :data:`CONVERTERS`, applied in order
            (each reads the previous step's file and writes the next).
        filename (str): File name under ``--dir``, as the configs name it.
        backbone (dict): The backbone the result must fit: ``type`` (a class of
            :mod:`shufflenet_backbones.models`) and its arguments.
        preprocessing (Preprocessing): The input the source weights expect.
        top1 (float, optional): Published ImageNet-1k top-1 (%) of the source
            weights; None where none is published for what this entry writes.
        top1_source (str): Where ``top1`` is published.
        note (str): Anything a user must know about the result.
    """
    url: str
    sha256: str
    converters: Tuple[str, ...]
    filename: str
    backbone: dict = field(hash=False)
    preprocessing: Preprocessing
    top1: Optional[float]
    top1_source: str
    note: str = ''

    @property
    def sha256_is_prefix(self) -> bool:
        return len(self.sha256) < 64


def _torchvision_v2(width: str, url: str, sha256: str, resize: int,
                    top1: float) -> WeightsEntry:
    factor = float(width.replace('_', '.'))
    return WeightsEntry(
        url=url,
        sha256=sha256,
        converters=('torchvision', ),
        filename=f'shufflenetv2_x{width}.pth',
        backbone=dict(type='ShuffleNetV2', widen_factor=factor),
        preprocessing=Preprocessing('RGB', _IMAGENET_MEAN, _IMAGENET_STD, resize),
        top1=top1,
        top1_source='torchvision docs, ShuffleNet_V2_X'
        f'{width.upper()}_Weights.IMAGENET1K_V1')


def _from_v2(entry: WeightsEntry) -> WeightsEntry:
    """The V2* entry made from a V2 one: the same download, then V2 -> V2*."""
    return replace(
        entry,
        converters=entry.converters + ('v2_to_v2star', ),
        filename=entry.filename.replace('shufflenetv2_', 'shufflenetv2star_'),
        backbone=dict(entry.backbone, type='ShuffleNetV2Star'),
        top1=None,
        top1_source='none published for V2*',
        note='V2 weights in a V2* whose extra depthwise convs are the identity '
        '(v2_to_v2star): it computes V2\'s function, so V2\'s top-1 '
        f'({entry.top1}) holds until the extra convs are trained')


_TORCHVISION = 'https://download.pytorch.org/models/'
_OPENMMLAB = 'https://download.openmmlab.com/mmclassification/v0/'
_MMPRETRAIN = dict(
    preprocessing=Preprocessing('RGB', _IMAGENET_MEAN, _IMAGENET_STD, 256),
    converters=('mmpretrain', ))

_V2 = OrderedDict(
    # sha256: the prefix torchvision puts in the file name (all that is known here)
    shufflenetv2_x0_5=_torchvision_v2(
        '0_5', _TORCHVISION + 'shufflenetv2_x0.5-f707e7126e.pth', 'f707e7126e', 256,
        60.552),
    shufflenetv2_x1_0=_torchvision_v2(
        '1_0', _TORCHVISION + 'shufflenetv2_x1-5666bf0f80.pth', '5666bf0f80', 256,
        69.362),
    # trained with torchvision's newer recipe, evaluated at resize 232
    shufflenetv2_x1_5=_torchvision_v2(
        '1_5', _TORCHVISION + 'shufflenetv2_x1_5-3c479a10.pth', '3c479a10', 232,
        72.996),
    shufflenetv2_x2_0=_torchvision_v2(
        '2_0', _TORCHVISION + 'shufflenetv2_x2_0-8be3c8ee.pth', '8be3c8ee', 232,
        76.230),
)

#: Every NAME ``tools/get_weights.py`` knows. Several names may write the same file
#: (``filename``); the first of them in this order is the one error messages name.
MODEL_ZOO: Dict[str, WeightsEntry] = OrderedDict(
    **_V2,
    # sha256: the prefix OpenMMLab's publish_model.py puts in the file name
    shufflenetv1_g3_x1_0=WeightsEntry(
        url=_OPENMMLAB + 'shufflenet_v1/'
        'shufflenet_v1_batch1024_imagenet_20200804-5d6cec73.pth',
        sha256='5d6cec73',
        filename='shufflenetv1_g3_x1_0.pth',
        backbone=dict(type='ShuffleNetV1', groups=3, widen_factor=1.0),
        top1=68.13,
        top1_source='mmpretrain model zoo, shufflenet-v1-1x_16xb64_in1k',
        **_MMPRETRAIN),
    shufflenetv2_x1_0_mmpretrain=WeightsEntry(
        url=_OPENMMLAB + 'shufflenet_v2/'
        'shufflenet_v2_batch1024_imagenet_20200812-5bf4721e.pth',
        sha256='5bf4721e',
        filename='shufflenetv2_x1_0.pth',
        backbone=dict(type='ShuffleNetV2', widen_factor=1.0),
        top1=69.55,
        top1_source='mmpretrain model zoo, shufflenet-v2-1x_16xb64_in1k',
        **_MMPRETRAIN),
    **{
        name.replace('shufflenetv2_', 'shufflenetv2star_') + '_from_v2':
        _from_v2(entry)
        for name, entry in _V2.items()
    },
)


class FetchError(Exception):
    """An expected failure: printed as one line, exit code 1."""


def lookup(name: str) -> WeightsEntry:
    """The entry called ``name``; FetchError listing similar names if none is."""
    if name in MODEL_ZOO:
        return MODEL_ZOO[name]
    similar = difflib.get_close_matches(name, MODEL_ZOO, n=4, cutoff=0.6)
    known = (f'similar: {", ".join(similar)}' if similar else
             f'known: {", ".join(MODEL_ZOO)}')
    raise FetchError(f'unknown weights name {name!r}; {known} (--list shows all)')


def names_for_file(filename: str) -> List[str]:
    """Names whose entry writes ``filename`` (a base name), in table order."""
    return [n for n, e in MODEL_ZOO.items() if e.filename == osp.basename(filename)]


# Backbones with no published weights in any layout we load: their ImageNet
# checkpoints come from training the classification config here and exporting its
# backbone. file name -> classification config.
TRAINED_HERE = {
    f'snet{arch}_imagenet.pth': f'configs/cls/snet{arch}_imagenet.py'
    for arch in (49, 146, 535)
}


def _train_and_export_command(path: str) -> str:
    config = TRAINED_HERE[osp.basename(path)]
    name = osp.splitext(osp.basename(config))[0]
    # the ImageNet schedule's last checkpoint (configs/_base_/schedules)
    return (f'python tools/train.py {config} && python '
            'tools/model_converters/extract_backbone.py '
            f'work_dirs/{name}/iter_300000.pth {shlex.quote(path)}')


def get_weights_command(path: str) -> Optional[str]:
    """The command that writes the checkpoint ``path`` a config names, or None
    if none does: ``tools/get_weights.py`` for published weights, training and
    exporting for the backbones of :data:`TRAINED_HERE`."""
    if osp.basename(path) in TRAINED_HERE:
        return _train_and_export_command(path)
    names = names_for_file(path)
    if not names:
        return None
    command = f'python tools/get_weights.py {names[0]}'
    directory = osp.dirname(path) or '.'
    if osp.normpath(directory) != DEFAULT_DIR:
        command += f' --dir {shlex.quote(directory)}'
    return command


def init_cfg_line(path: str) -> str:
    """The ``init_cfg`` a config uses to load the backbone from ``path``."""
    return (f"init_cfg=dict(type='Pretrained', checkpoint={path!r}, "
            f"prefix='{BACKBONE_PREFIX}')")


def table() -> str:
    """One line per known name: its ImageNet top-1 and the file it writes."""
    lines = []
    for name, entry in MODEL_ZOO.items():
        top1 = '-' if entry.top1 is None else f'{entry.top1:.2f}'
        lines.append(f'{name:32} top-1 {top1:>6}  -> {entry.filename}')
    return '\n'.join(lines)
