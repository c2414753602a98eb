"""The images a user names for inference: files, or folders of them, each checked
to be a readable image before any model is built (inference here and on exported
files, and INT8 calibration, read them through this)."""
import os
import os.path as osp
from typing import Dict, List, Sequence

from mmdet.apis.det_inferencer import IMG_EXTENSIONS
from PIL import Image

from ..errors import CLIError

__all__ = ['list_images']


def _check_image(path: str) -> None:
    # the header only (no decoding): cheap enough for folders of many images
    try:
        with Image.open(path) as image:
            image.verify()
    except Exception as err:  # PIL raises several types; any means unreadable
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise CLIError(f'cannot read image {path}: {reason}') from err


def list_images(inputs: Sequence[str]) -> List[str]:
    """The image files named by ``inputs`` (files, or folders: the images directly
    in them, sorted), each checked to be a readable image.

    Raises:
        CLIError: an input is missing, is no image file, is a folder without
            images, or two images would write the same output files.
    """
    extensions = ', '.join(IMG_EXTENSIONS)
    images = []
    for path in inputs:
        if osp.isdir(path):
            found = sorted(
                osp.join(path, name) for name in os.listdir(path)
                if name.lower().endswith(IMG_EXTENSIONS)
                and osp.isfile(osp.join(path, name)))
            if not found:
                raise CLIError(f'no images ({extensions}) in folder {path}')
            images.extend(found)
        elif osp.isfile(path):
            if not path.lower().endswith(IMG_EXTENSIONS):
                raise CLIError(f'not an image file ({extensions}): {path}')
            images.append(path)
        else:
            raise CLIError(f'image not found: {path}')
    for path in images:
        _check_image(path)
    # outputs are named after the file (vis/) and its stem (preds/): a clash would
    # silently overwrite one image's results with another's
    seen: Dict[str, str] = {}
    for path in images:
        stem = osp.splitext(osp.basename(path))[0]
        if stem in seen and seen[stem] != path:
            raise CLIError(f'{seen[stem]} and {path} would write the same output '
                           f'files ({stem}.*): rename one or run them separately')
        seen[stem] = path
    return list(dict.fromkeys(images))  # an image named twice is done once
