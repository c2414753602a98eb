"""VOC, YOLO, CSV, LabelMe and COCO in, COCO out
(shufflenet_backbones.toolkit.data.formats).

A small generated shapes set (plus an image without objects) is written out in each
format by the small writers below (our own, not globox's save_* functions, so that
a globox parsing mistake cannot cancel out against the same mistake in its
writer; they also write what globox's cannot: VOC difficult flags, LabelMe
polygons), converted back, and compared with the original: every box within
0.5 px, the class names and their order, the images without objects, difficult ->
iscrowd, the split. The real photographs are two annotated NEON aerial images of
the deepforest package (tests/data/real/LICENCE.md).
"""
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Dict, List, NamedTuple, Tuple

import mmcv
import numpy as np
import pytest
import yaml
from mmdet.datasets import CocoDataset
from PIL import Image, ImageOps

from shufflenet_backbones.toolkit.data import formats, generate_shapes_coco
from shufflenet_backbones.toolkit.errors import CLIError

REAL_VOC = Path(__file__).resolve().parents[2] / 'data' / 'real' / 'voc'
SIZE = (64, 48)  # width, height: not square, so a swapped size shows
CLASSES = ('circle', 'square', 'triangle')


class Box(NamedTuple):
    label: str
    x1: float
    y1: float
    x2: float
    y2: float
    iscrowd: int
    polygon: List[float]


class Original(NamedTuple):
    """One image of the original set: a name unique over both splits."""
    name: str
    path: Path
    split: str
    width: int
    height: int
    boxes: List[Box]


# ---------------------------------------------------------------------------------
# the original set


@pytest.fixture(scope='module')
def original(tmp_path_factory) -> Tuple[Path, List[Original]]:
    """The generated COCO folder (train: 6 images, one without objects; val: 3;
    the first box has iscrowd=1) and its images."""
    root = tmp_path_factory.mktemp('shapes') / 'coco'
    generate_shapes_coco(str(root), num_train=5, num_val=3, image_size=SIZE,
                         max_objects=3, seed=0)
    Image.new('RGB', SIZE, (128, 128, 128)).save(root / 'train' / 'empty.png')
    train_file = root / 'annotations' / 'instances_train.json'
    train = json.loads(train_file.read_text())
    train['images'].append(dict(id=99, file_name='empty.png', width=SIZE[0],
                                height=SIZE[1]))
    train['annotations'][0]['iscrowd'] = 1
    train_file.write_text(json.dumps(train))
    images = []
    for split in ('train', 'val'):
        coco = json.loads((root / 'annotations' /
                           f'instances_{split}.json').read_text())
        names = {c['id']: c['name'] for c in coco['categories']}
        for img in coco['images']:
            boxes = [Box(names[a['category_id']], a['bbox'][0], a['bbox'][1],
                         a['bbox'][0] + a['bbox'][2], a['bbox'][1] + a['bbox'][3],
                         a['iscrowd'], a['segmentation'][0])
                     for a in coco['annotations'] if a['image_id'] == img['id']]
            images.append(Original(f"{split}-{img['file_name']}",
                                   root / split / img['file_name'], split,
                                   img['width'], img['height'], boxes))
    assert sum(not im.boxes for im in images) == 1
    assert sum(len(im.boxes) >= 2 for im in images) >= 2
    return root, images


def _copy_images(images: List[Original], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for im in images:
        shutil.copyfile(im.path, folder / im.name)


# ---------------------------------------------------------------------------------
# the writers (ours, independent of the readers)


def write_voc(images: List[Original], root: Path, image_sets: bool = False) -> Path:
    """VOC: the first box of the set difficult=1, the second an empty
    <difficult/>; the image without objects gets no XML file."""
    _copy_images(images, root / 'JPEGImages')
    (root / 'Annotations').mkdir(parents=True)
    seen = 0
    for im in images:
        if not im.boxes:
            continue
        objects = []
        for box in im.boxes:
            difficult = ('<difficult>1</difficult>' if box.iscrowd else
                         '<difficult/>' if seen == 1 else '<difficult>0</difficult>')
            seen += 1
            objects.append(
                f'<object><name>{box.label}</name>{difficult}<bndbox>'
                f'<xmin>{box.x1}</xmin><ymin>{box.y1}</ymin><xmax>{box.x2}</xmax>'
                f'<ymax>{box.y2}</ymax></bndbox></object>')
        (root / 'Annotations' / f'{Path(im.name).stem}.xml').write_text(
            f'<annotation><folder>JPEGImages</folder><filename>{im.name}</filename>'
            f'<size><width>{im.width}</width><height>{im.height}</height>'
            f'<depth>3</depth></size>{"".join(objects)}</annotation>')
    if image_sets:
        main = root / 'ImageSets' / 'Main'
        main.mkdir(parents=True)
        for split in ('train', 'val'):
            (main / f'{split}.txt').write_text(''.join(
                f'{Path(im.name).stem}\n' for im in images if im.split == split))
    return root


def write_yolo(images: List[Original], root: Path, names: List[str],
               splits: bool = False, names_file: str = 'classes.txt') -> Path:
    """YOLO: images/ + labels/ (or images/{train,val}/ + labels/{train,val}/);
    the image without objects gets no label file."""
    for im in images:
        sub = im.split if splits else ''
        _copy_images([im], root / 'images' / sub)
        if not im.boxes:
            continue
        lines = [f'{names.index(b.label)} {(b.x1 + b.x2) / 2 / im.width:.6f} '
                 f'{(b.y1 + b.y2) / 2 / im.height:.6f} '
                 f'{(b.x2 - b.x1) / im.width:.6f} {(b.y2 - b.y1) / im.height:.6f}'
                 for b in im.boxes]
        label = root / 'labels' / sub / f'{Path(im.name).stem}.txt'
        label.parent.mkdir(parents=True, exist_ok=True)
        label.write_text('\n'.join(lines) + '\n')
    if names_file == 'classes.txt':
        (root / 'classes.txt').write_text('\n'.join(names) + '\n')
    elif names_file == 'data.yaml':
        (root / 'data.yaml').write_text(yaml.safe_dump(dict(
            nc=len(names), names=dict(enumerate(names)))))
    return root


def write_csv(images: List[Original], root: Path) -> Path:
    """deepforest's CSV, the images in images/; the image without objects as a
    row with the box and the label empty."""
    _copy_images(images, root / 'images')
    rows = ['label,image_path,xmin,ymin,xmax,ymax,score']  # any order, extras
    for im in images:
        rows += [f'{b.label},images/{im.name},{b.x1},{b.y1},{b.x2},{b.y2},1.0'
                 for b in im.boxes] or [f',images/{im.name},,,,,']
    path = root / 'boxes.csv'
    path.write_text('\n'.join(rows) + '\n')
    return path


def write_labelme(images: List[Original], root: Path) -> Path:
    """LabelMe files in annotations/, the images in images/: the boxes of every
    other image as polygons, the rest as rectangles drawn from the bottom-right
    corner; one circle shape (left out); no file for the image without objects."""
    _copy_images(images, root / 'images')
    (root / 'annotations').mkdir()
    for index, im in enumerate(images):
        if not im.boxes:
            continue
        shapes = [dict(label=b.label, shape_type='polygon',
                       points=np.reshape(b.polygon, (-1, 2)).tolist())
                  if index % 2 else
                  dict(label=b.label, shape_type='rectangle',
                       points=[[b.x2, b.y2], [b.x1, b.y1]]) for b in im.boxes]
        if index == 0:
            shapes.append(dict(label='circle', shape_type='circle',
                               points=[[10, 10], [12, 12]]))
        (root / 'annotations' / f'{Path(im.name).stem}.json').write_text(
            json.dumps(dict(version='5.4.1', shapes=shapes,
                            imagePath=f'../images/{im.name}', imageData=None,
                            imageHeight=im.height, imageWidth=im.width)))
    return root


# ---------------------------------------------------------------------------------
# reading the result


class Result(NamedTuple):
    classes: List[str]
    images: Dict[Tuple[str, str], dict]  # (split, image file name): its record

    def by_name(self) -> Dict[str, dict]:
        """The records by image file name (unique over the splits here)."""
        found = {name: r for (_, name), r in self.images.items()}
        assert len(found) == len(self.images)
        return found


def read_result(dst: Path) -> Result:
    """The classes and images (split, width, height, boxes) of a converted
    folder; checks the layout, the ids and that every image is there."""
    found, names = {}, None
    for split in ('train', 'val'):
        coco = json.loads((dst / 'annotations' /
                           f'instances_{split}.json').read_text())
        cats = {c['id']: c['name'] for c in coco['categories']}
        assert names in (None, list(cats.values()))
        names = list(cats.values())
        assert sorted(cats) == list(range(1, len(cats) + 1))
        assert [im['id'] for im in coco['images']] == list(
            range(1, len(coco['images']) + 1))
        assert [a['id'] for a in coco['annotations']] == list(
            range(1, len(coco['annotations']) + 1))
        for img in coco['images']:
            assert (dst / split / img['file_name']).is_file()
            boxes = [(cats[a['category_id']], a['bbox'][0], a['bbox'][1],
                      a['bbox'][0] + a['bbox'][2], a['bbox'][1] + a['bbox'][3],
                      a['iscrowd']) for a in coco['annotations']
                     if a['image_id'] == img['id']]
            found[split, Path(img['file_name']).name] = dict(
                split=split, width=img['width'], height=img['height'], boxes=boxes)
    return Result(names, found)


def assert_same(result: Result, images: List[Original], iscrowd: bool = False,
                split: bool = False) -> None:
    """Every image kept, at its size, every box within 0.5 px with its class
    (and iscrowd, split when the format carries them)."""
    converted = result.by_name()
    assert set(converted) == {im.name for im in images}
    for im in images:
        got = converted[im.name]
        assert (got['width'], got['height']) == (im.width, im.height)
        assert len(got['boxes']) == len(im.boxes), im.name
        for (label, *corners, crowd), box in zip(got['boxes'], im.boxes):
            assert label == box.label
            assert np.allclose(corners, box[1:5], atol=0.5), (im.name, corners, box)
            if iscrowd:
                assert crowd == box.iscrowd
        if split:
            assert got['split'] == im.split


# ---------------------------------------------------------------------------------
# round trips


def test_voc_round_trip_difficult_becomes_iscrowd(original, tmp_path):
    _, images = original
    src = write_voc(images, tmp_path / 'voc')
    dataset, written = formats.convert_dataset(str(src), str(tmp_path / 'out'), 'voc')
    result = read_result(tmp_path / 'out')
    assert_same(result, images, iscrowd=True)
    assert result.classes == list(CLASSES)  # sorted names
    crowd = [b for r in result.images.values() for b in r['boxes'] if b[-1]]
    assert len(crowd) == 1  # the empty <difficult/> is 0
    assert dataset.split_from is None
    assert written['train']['num_images'] + written['val']['num_images'] == 9
    assert all(p.is_symlink() for split in ('train', 'val')
               for p in (tmp_path / 'out' / split).iterdir())


def test_voc_image_sets_are_kept_and_classes_order_given(original, tmp_path):
    _, images = original
    src = write_voc(images, tmp_path / 'voc', image_sets=True)
    order = ['triangle', 'circle', 'square']
    dataset, _ = formats.convert_dataset(str(src), str(tmp_path / 'out'), 'voc',
                                         classes=order, copy=True)
    result = read_result(tmp_path / 'out')
    assert_same(result, images, iscrowd=True, split=True)
    assert result.classes == order
    assert 'ImageSets' in dataset.split_from
    assert not any(p.is_symlink() for p in (tmp_path / 'out' / 'train').iterdir())


@pytest.mark.parametrize('names_file', ['classes.txt', 'data.yaml'])
def test_yolo_round_trip_keeps_the_names_order(original, tmp_path, names_file):
    _, images = original
    names = ['triangle', 'square', 'circle']  # not sorted: the file's order wins
    src = write_yolo(images, tmp_path / 'yolo', names, names_file=names_file)
    if names_file == 'data.yaml':  # an empty label file, not a missing one
        empty = next(im for im in images if not im.boxes)
        (src / 'labels' / f'{Path(empty.name).stem}.txt').write_text('\n')
    formats.convert_dataset(str(src), str(tmp_path / 'out'), 'yolo')
    result = read_result(tmp_path / 'out')
    assert_same(result, images)
    assert result.classes == names


def test_yolo_split_folders_are_kept(original, tmp_path):
    _, images = original
    src = write_yolo(images, tmp_path / 'yolo', list(CLASSES), splits=True)
    dataset, _ = formats.convert_dataset(str(src), str(tmp_path / 'out'), 'yolo')
    assert_same(read_result(tmp_path / 'out'), images, split=True)
    assert dataset.split_from is not None


def test_csv_round_trip(original, tmp_path):
    _, images = original
    path = write_csv(images, tmp_path / 'csv')
    formats.convert_dataset(str(path), str(tmp_path / 'out'), 'csv')
    result = read_result(tmp_path / 'out')
    assert_same(result, images)
    assert result.classes == list(CLASSES)


def test_labelme_round_trip_polygons_become_boxes(original, tmp_path):
    _, images = original
    src = write_labelme(images, tmp_path / 'labelme')
    dataset, _ = formats.convert_dataset(str(src), str(tmp_path / 'out'),
                                         'labelme')
    assert_same(read_result(tmp_path / 'out'), images)
    assert dataset.notes == ['1 circle shapes left out (only rectangles and '
                             'polygons become boxes)']


def test_coco_two_files_keep_their_split_and_iscrowd(original, tmp_path):
    root, images = original
    dataset, _ = formats.convert_dataset(str(root), str(tmp_path / 'out'), 'coco')
    result = read_result(tmp_path / 'out')
    # the generator's names, unique within each split
    by_key = {(im.split, im.name.split('-', 1)[1]): im for im in images}
    assert set(result.images) == set(by_key)
    assert dataset.split_from is not None
    for key, got in result.images.items():
        assert [b[-1] for b in got['boxes']] == [b.iscrowd for b in by_key[key].boxes]
        assert np.allclose(np.reshape([b[1:5] for b in got['boxes']], (-1, 4)),
                           np.reshape([b[1:5] for b in by_key[key].boxes], (-1, 4)))
    assert result.classes == list(CLASSES)


def test_coco_segmentation_is_kept(original, tmp_path):
    root, _ = original
    formats.convert_dataset(str(root / 'annotations' / 'instances_val.json'),
                            str(tmp_path / 'out'), 'coco')
    out = [json.loads((tmp_path / 'out' / 'annotations' /
                       f'instances_{s}.json').read_text()) for s in ('train', 'val')]
    source = json.loads((root / 'annotations' / 'instances_val.json').read_text())
    assert sorted(a['segmentation'] for c in out for a in c['annotations']) == \
        sorted(a['segmentation'] for a in source['annotations'])


# ---------------------------------------------------------------------------------
# the split


def _dataset(num: int) -> formats.SourceDataset:
    return formats.SourceDataset(('a', ), [
        formats.SourceImage(f'/x/{i}.png', f'{i:03d}.png', 8, 8, [], 'x')
        for i in range(num)
    ])


def _val_names(dataset: formats.SourceDataset, **kwargs) -> List[str]:
    return sorted(im.file_name for im in formats.split_dataset(dataset,
                                                               **kwargs)['val'])


def test_split_is_deterministic_and_depends_on_names_and_seed():
    dataset = _dataset(50)
    val = _val_names(dataset, val_fraction=0.2, seed=0)
    assert len(val) == 10
    assert _val_names(dataset, val_fraction=0.2, seed=0) == val
    dataset.images.reverse()  # the order of reading does not matter
    assert _val_names(dataset, val_fraction=0.2, seed=0) == val
    assert _val_names(dataset, val_fraction=0.2, seed=1) != val
    # adding images moves few across the boundary
    grown = _val_names(_dataset(55), val_fraction=0.2, seed=0)
    assert len(set(val) & set(grown)) >= 8
    train = formats.split_dataset(dataset, val_fraction=0.2, seed=0)['train']
    assert len(train) == 40 and not {im.file_name for im in train} & set(val)


def test_split_leaves_each_side_an_image():
    assert len(_val_names(_dataset(2), val_fraction=0.01)) == 1
    assert len(_val_names(_dataset(2), val_fraction=0.99)) == 1
    with pytest.raises(CLIError, match='at least 2'):
        formats.split_dataset(_dataset(1))


def test_converted_files_are_identical_under_re_runs(original, tmp_path,
                                                     file_digests):
    _, images = original
    src = write_voc(images, tmp_path / 'voc')
    for out in ('a', 'b'):
        formats.convert_dataset(str(src), str(tmp_path / out), 'voc', seed=3,
                                copy=True)
    formats.convert_dataset(str(src), str(tmp_path / 'c'), 'voc', seed=4, copy=True)
    a, b, c = (file_digests(tmp_path / d) for d in 'abc')
    assert a == b
    assert a != c


# ---------------------------------------------------------------------------------
# image sizes


@pytest.mark.parametrize('suffix', ['.jpg', '.png'])
def test_image_size_applies_exif_orientation_as_mmcv(tmp_path, suffix):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90 degrees
    path = str(tmp_path / f'photo{suffix}')
    Image.new('RGB', (50, 30)).save(path, exif=exif)
    Image.new('RGB', (50, 30)).save(tmp_path / f'plain{suffix}')
    assert formats.image_size(str(tmp_path / f'plain{suffix}')) == (50, 30)
    assert formats.image_size(path) == (30, 50)
    assert formats.image_size(path) == ImageOps.exif_transpose(Image.open(path)).size
    assert mmcv.imread(path).shape[:2] == (50, 30)  # (height, width)


def test_a_stated_size_that_is_not_the_images_is_an_error(original, tmp_path):
    _, images = original
    src = write_voc(images, tmp_path / 'voc')
    xml = src / 'Annotations' / f'{Path(images[0].name).stem}.xml'
    xml.write_text(xml.read_text().replace('<width>64</width>', '<width>48</width>')
                   .replace('<height>48</height>', '<height>64</height>'))
    with pytest.raises(CLIError, match=rf'{xml.name}: size: 48x64, but .* is 64x48'):
        formats.read_voc(str(src))
    # a size of 0 (some tools write it) states nothing
    xml.write_text(xml.read_text().replace('<width>48</width>', '<width>0</width>'))
    assert formats.read_voc(str(src)).images[0].width == 64


# ---------------------------------------------------------------------------------
# bad input: one line naming the file and the field


def _voc_with_object(tmp_path: Path, obj: str) -> Path:
    (tmp_path / 'JPEGImages').mkdir()
    (tmp_path / 'Annotations').mkdir()
    Image.new('RGB', (20, 10)).save(tmp_path / 'JPEGImages' / 'a.jpg')
    (tmp_path / 'Annotations' / 'a.xml').write_text(
        f'<annotation><filename>a.jpg</filename><object>{obj}</object>'
        '</annotation>')
    return tmp_path


@pytest.mark.parametrize('obj,message', [
    ('<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>5</xmax><ymax>5</ymax></bndbox>',
     'object 1: name: missing'),
    ('<name>a</name><bndbox><xmin>1</xmin><ymin>1</ymin><ymax>5</ymax></bndbox>',
     'object 1: bndbox/xmax: missing'),
    ('<name>a</name><bndbox><xmin>1</xmin><ymin>x</ymin><xmax>5</xmax>'
     '<ymax>5</ymax></bndbox>', "object 1: bndbox/ymin: 'x' is not a number"),
    ('<name>a</name><bndbox><xmin>6</xmin><ymin>1</ymin><xmax>5</xmax>'
     '<ymax>5</ymax></bndbox>', 'object 1: bndbox: xmax 5 is less than xmin 6'),
    ('<name>a</name><difficult>2</difficult><bndbox><xmin>1</xmin><ymin>1</ymin>'
     '<xmax>5</xmax><ymax>5</ymax></bndbox>', "object 1: difficult: '2'"),
    ('<name>a</name><bndbox><xmin>30</xmin><ymin>1</ymin><xmax>35</xmax>'
     '<ymax>5</ymax></bndbox>', 'object 1: box .* lies outside the 20x10 image'),
    ('<name>a</name><bndbox><xmin>nan</xmin><ymin>1</ymin><xmax>5</xmax>'
     '<ymax>5</ymax></bndbox>', "object 1: bndbox/xmin: 'nan' is not a number"),
    ('<name>a</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>inf</xmax>'
     '<ymax>5</ymax></bndbox>', 'object 1: box .* is not finite'),
])
def test_voc_errors_name_the_file_and_field(tmp_path, obj, message):
    src = _voc_with_object(tmp_path, obj)
    with pytest.raises(CLIError, match=f'a.xml: {message}'):
        formats.read_voc(str(src))


def test_voc_boxes_are_clipped_to_the_image(tmp_path):
    src = _voc_with_object(tmp_path, '<name>a</name><bndbox><xmin>-2</xmin>'
                           '<ymin>1</ymin><xmax>25</xmax><ymax>5</ymax></bndbox>')
    dataset = formats.read_voc(str(src))
    box = dataset.images[0].boxes[0]
    assert (box.x1, box.y1, box.x2, box.y2) == (0, 1, 20, 5)
    assert dataset.notes == ['1 boxes reached outside their image and were '
                             'clipped to it']


def test_voc_missing_image_names_the_field(tmp_path):
    src = _voc_with_object(tmp_path, '<name>a</name><bndbox><xmin>1</xmin>'
                           '<ymin>1</ymin><xmax>5</xmax><ymax>5</ymax></bndbox>')
    (src / 'JPEGImages' / 'a.jpg').unlink()
    with pytest.raises(CLIError, match=r'a.xml: filename: .*a.jpg not found'):
        formats.read_voc(str(src))


def test_yolo_without_names_says_which_files_it_looked_for(original, tmp_path):
    _, images = original
    src = write_yolo(images, tmp_path / 'yolo', list(CLASSES), names_file='')
    with pytest.raises(CLIError, match=r'no class names: expected .*classes.txt '
                       r'or .*obj.names .* or .*data.yaml'):
        formats.read_yolo(str(src))


@pytest.mark.parametrize('line,message', [
    ('3 0.5 0.5 0.2 0.2', "line 2: class '3': expected an id 0..2"),
    ('0 0.5 0.5 0.2', 'line 2: expected "class cx cy w h"'),
    ('0 32 24 10 10', 'line 2: coordinates must be normalised'),
    ('0 0.5 0.5 -0.005 0.2', 'line 2: negative width or height'),
])
def test_yolo_errors_name_the_file_and_line(original, tmp_path, line, message):
    _, images = original
    src = write_yolo(images[:1], tmp_path / 'yolo', list(CLASSES))
    label = src / 'labels' / f'{Path(images[0].name).stem}.txt'
    label.write_text(f'0 0.5 0.5 0.2 0.2\n{line}\n')
    with pytest.raises(CLIError, match=f'{label.name}: {message}'):
        formats.read_yolo(str(src))


def test_yolo_polygon_lines_become_boxes(tmp_path):
    (tmp_path / 'images').mkdir()
    (tmp_path / 'labels').mkdir()
    Image.new('RGB', (100, 50)).save(tmp_path / 'images' / 'a.png')
    (tmp_path / 'labels' / 'a.txt').write_text('0 0.1 0.2 0.5 0.2 0.3 0.8\n')
    (tmp_path / 'obj.names').write_text('thing\n')
    box = formats.read_yolo(str(tmp_path)).images[0].boxes[0]
    assert np.allclose((box.x1, box.y1, box.x2, box.y2), (10, 10, 50, 40))


def test_csv_errors_name_the_file_and_field(tmp_path):
    Image.new('RGB', (20, 10)).save(tmp_path / 'a.png')
    path = tmp_path / 'boxes.csv'
    path.write_text('image_path,xmin,ymin,xmax,label\na.png,1,1,5,a\n')
    with pytest.raises(CLIError, match=r"boxes.csv: header: .* missing \['ymax'\]"):
        formats.read_csv(str(path))
    path.write_text('image_path,xmin,ymin,xmax,ymax,label\na.png,1,1,5,5,a\n'
                    'a.png,1,,5,5,a\n')
    with pytest.raises(CLIError, match='boxes.csv: line 3: ymin: empty'):
        formats.read_csv(str(path))
    path.write_text('image_path,xmin,ymin,xmax,ymax,label\nb.png,1,1,5,5,a\n')
    with pytest.raises(CLIError, match=r'boxes.csv: line 2: image_path: .*b.png '
                       'not found'):
        formats.read_csv(str(path))


def test_csv_zero_box_is_an_image_without_objects(tmp_path):
    Image.new('RGB', (20, 10)).save(tmp_path / 'a.png')
    Image.new('RGB', (20, 10)).save(tmp_path / 'b.png')
    path = tmp_path / 'boxes.csv'
    path.write_text('image_path,xmin,ymin,xmax,ymax,label\na.png,1,1,5,5,a\n'
                    'b.png,0,0,0,0,a\n')
    dataset = formats.read_csv(str(tmp_path))  # the folder's one CSV file
    assert [len(im.boxes) for im in dataset.images] == [1, 0]


def test_labelme_errors_name_the_file_and_field(tmp_path):
    Image.new('RGB', (20, 10)).save(tmp_path / 'a.png')
    path = tmp_path / 'a.json'
    path.write_text(json.dumps(dict(shapes=[])))
    with pytest.raises(CLIError, match='a.json: imagePath: missing'):
        formats.read_labelme(str(tmp_path))
    path.write_text(json.dumps(dict(imagePath='a.png', shapes=[
        dict(label='a', shape_type='rectangle', points='no')])))
    with pytest.raises(CLIError, match=r'a.json: shapes\[0\]: needs a "label"'):
        formats.read_labelme(str(tmp_path))


def test_coco_errors_name_the_file_and_field(original, tmp_path):
    root, _ = original
    coco = json.loads((root / 'annotations' / 'instances_val.json').read_text())
    coco['annotations'][1]['category_id'] = 7
    path = tmp_path / 'instances_val.json'
    path.write_text(json.dumps(coco))
    with pytest.raises(CLIError, match=r'instances_val.json: annotations\[1\]: '
                       'category_id: 7 is not one of the categories'):
        formats.read_coco(str(path))
    coco['annotations'][1]['category_id'] = 1
    coco['images'][0]['file_name'] = 'nowhere.png'
    path.write_text(json.dumps(coco))
    with pytest.raises(CLIError, match=r"images\[0\].file_name: 'nowhere.png' not "
                       'found'):
        formats.read_coco(str(path))


def test_destination_must_be_new_and_outside_the_source(original, tmp_path):
    _, images = original
    src = write_voc(images, tmp_path / 'voc')
    (tmp_path / 'out').mkdir()
    (tmp_path / 'out' / 'x').write_text('')
    with pytest.raises(CLIError, match='out: exists and is not an empty folder'):
        formats.convert_dataset(str(src), str(tmp_path / 'out'), 'voc')
    with pytest.raises(CLIError, match='inside the source folder'):
        formats.convert_dataset(str(src), str(src / 'coco'), 'voc')


# ---------------------------------------------------------------------------------
# real photographs


@pytest.fixture(scope='module')
def real(tmp_path_factory) -> Tuple[Path, Dict[str, dict]]:
    dst = tmp_path_factory.mktemp('real') / 'coco'
    _, written = formats.convert_dataset(str(REAL_VOC), str(dst), 'voc',
                                         val_fraction=0.5)
    return dst, written


def test_real_voc_boxes_classes_and_sizes(real):
    dst, _ = real
    classes, images = read_result(dst)
    assert classes == ['Alive', 'Dead', 'Tree']
    result = {name: r for (_, name), r in images.items()}
    counts = {name: {label: sum(b[0] == label for b in r['boxes'])
                     for label in ('Alive', 'Dead', 'Tree')}
              for name, r in result.items()}
    assert counts == {'OSBS_029.jpg': dict(Alive=0, Dead=0, Tree=61),
                      'SOAP_061.jpg': dict(Alive=9, Dead=28, Tree=0)}
    for name, r in result.items():
        assert (r['width'], r['height']) == Image.open(dst / r['split'] / name).size
        for _, x1, y1, x2, y2, crowd in r['boxes']:
            assert 0 <= x1 < x2 <= r['width'] and 0 <= y1 < y2 <= r['height']
            assert crowd == 0
    # the first box of OSBS_029.xml, as written there
    assert result['OSBS_029.jpg']['boxes'][0][1:5] == (203, 67, 227, 90)


def test_real_voc_loads_in_mmdets_coco_dataset(real):
    dst, written = real
    for split in ('train', 'val'):
        dataset = CocoDataset(
            data_root=str(dst), ann_file=f'annotations/instances_{split}.json',
            data_prefix=dict(img=f'{split}/'),
            metainfo=dict(classes=('Alive', 'Dead', 'Tree')),
            pipeline=[dict(type='LoadImageFromFile'),
                      dict(type='LoadAnnotations', with_bbox=True)])
        assert len(dataset) == written[split]['num_images'] == 1
        sample = dataset[0]
        assert sample['img'].shape == (400, 400, 3)
        num = written[split]['num_instances']
        assert num in (61, 37)
        assert sample['gt_bboxes'].tensor.shape == (num, 4)
        labels = set(sample['gt_bboxes_labels'].tolist())
        assert labels == ({2} if num == 61 else {0, 1})
        if num == 61:  # OSBS_029.xml's first box
            assert sample['gt_bboxes'].tensor[0].tolist() == [203, 67, 227, 90]
        assert not sample['gt_ignore_flags'].any()


def test_real_image_files_are_small_jpegs():
    for path in (REAL_VOC / 'JPEGImages').iterdir():
        assert path.suffix == '.jpg' and path.stat().st_size < 100_000
        assert ET.parse(REAL_VOC / 'Annotations' / f'{path.stem}.xml').findtext(
            'filename') == path.name
