"""The split (the source's, or a seeded hash of the file names) and the COCO folder
written from it."""
import hashlib
import json
import os
import os.path as osp
import shutil
from typing import Dict, Iterable, List, Sequence

from ...errors import CLIError
from .source import SPLITS, SourceDataset, SourceImage


def _split_key(file_name: str, seed: int) -> str:
    return hashlib.sha256(f'{seed}:{file_name}'.encode()).hexdigest()


def split_dataset(dataset: SourceDataset, val_fraction: float = 0.2,
                  seed: int = 0) -> Dict[str, List[SourceImage]]:
    """``{'train': images, 'val': images}``: the source's split when it has one;
    else the ``round(val_fraction * n)`` images (at least one, and at least one
    left for train) whose ``sha256(f'{seed}:{file_name}')`` comes first go to val.

    The split depends only on the file names and the seed: re-runs give the same
    one, and adding images moves at most a few others across the boundary.
    """
    if dataset.split_from is not None:
        return {s: [im for im in dataset.images if im.split == s] for s in SPLITS}
    if not 0 < val_fraction < 1:
        raise ValueError(f'val_fraction must be in (0, 1), got {val_fraction}')
    if len(dataset.images) < 2:
        raise CLIError(f'{len(dataset.images)} image(s): a train / val split needs '
                       'at least 2')
    num_val = min(max(round(val_fraction * len(dataset.images)), 1),
                  len(dataset.images) - 1)
    ranked = sorted(dataset.images, key=lambda im: _split_key(im.file_name, seed))
    val = {id(im) for im in ranked[:num_val]}
    return dict(train=[im for im in dataset.images if id(im) not in val],
                val=[im for im in dataset.images if id(im) in val])


def _coco_dict(images: Iterable[SourceImage], classes: Sequence[str],
               description: str) -> dict:
    """The COCO json of one split (ids 1, 2, ... in file-name order)."""
    cat_ids = {name: i for i, name in enumerate(classes, 1)}
    coco_images, annotations = [], []
    for image_id, im in enumerate(sorted(images, key=lambda i: i.file_name), 1):
        coco_images.append(dict(id=image_id, file_name=im.file_name,
                                width=im.width, height=im.height))
        for box in im.boxes:
            bbox = [round(v, 2) for v in (box.x1, box.y1, box.x2 - box.x1,
                                          box.y2 - box.y1)]
            ann = dict(id=len(annotations) + 1, image_id=image_id,
                       category_id=cat_ids[box.label], bbox=bbox,
                       area=round(box.area if box.area is not None else
                                  bbox[2] * bbox[3], 2),
                       iscrowd=box.iscrowd)
            if box.segmentation is not None:
                ann['segmentation'] = box.segmentation
            annotations.append(ann)
    return dict(info=dict(description=description), images=coco_images,
                annotations=annotations,
                categories=[dict(id=i, name=n) for n, i in cat_ids.items()])


def _place_image(src_path: str, dst_path: str, copy: bool) -> None:
    os.makedirs(osp.dirname(dst_path), exist_ok=True)
    if copy:
        shutil.copyfile(src_path, dst_path)
    else:
        os.symlink(osp.abspath(src_path), dst_path)


def write_coco(splits: Dict[str, List[SourceImage]], classes: Sequence[str],
               dst: str, copy: bool = False,
               description: str = 'converted') -> Dict[str, dict]:
    """Write ``splits`` as the COCO folder ``dst`` (which must be new or empty).

    Args:
        splits (dict[str, list[SourceImage]]): The images of 'train' and 'val'.
        classes (Sequence[str]): Class names; category ids 1, 2, ... in order.
        dst (str): The output folder.
        copy (bool): Copy the images instead of symlinking them (absolute links).
            Defaults to False.
        description (str): ``info.description`` of the json files.

    Returns:
        dict[str, dict]: For 'train' and 'val': ``ann_file``, ``img_dir``,
        ``num_images`` and ``num_instances`` (as ``generate_shapes_coco``).
    """
    if osp.exists(dst) and (not osp.isdir(dst) or os.listdir(dst)):
        raise CLIError(f'{dst}: exists and is not an empty folder; give a new one')
    written = {}
    for split in SPLITS:
        img_dir = osp.join(dst, split)
        ann_file = osp.join(dst, 'annotations', f'instances_{split}.json')
        os.makedirs(img_dir, exist_ok=True)
        os.makedirs(osp.dirname(ann_file), exist_ok=True)
        for im in splits[split]:
            _place_image(im.path, osp.join(img_dir, *im.file_name.split('/')), copy)
        coco = _coco_dict(splits[split], classes, f'{description}, {split} split')
        with open(ann_file, 'w') as f:
            json.dump(coco, f)
        written[split] = dict(ann_file=ann_file, img_dir=img_dir,
                              num_images=len(coco['images']),
                              num_instances=len(coco['annotations']))
    return written
