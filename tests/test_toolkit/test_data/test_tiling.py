"""Large images cut into tiles with their boxes
(shufflenet_backbones.toolkit.data.formats.tiling, ``convert.py --tile``), on a real
annotated aerial photograph: the tile grid, the pixels, and every box where it
should be, computed here independently of sahi."""
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from shufflenet_backbones.toolkit.data import formats
from shufflenet_backbones.toolkit.data.formats.tiling import (MIN_AREA_INSIDE,
                                                              tile_dataset)

REAL_VOC = Path(__file__).resolve().parents[2] / 'data' / 'real' / 'voc'


@pytest.fixture(scope='module')
def photograph():
    """OSBS_029: 400 x 400 px, 61 crowns."""
    dataset = formats.read_voc(str(REAL_VOC))
    dataset.images = [im for im in dataset.images if im.file_name == 'OSBS_029.jpg']
    return dataset


def expected_boxes(image, tile):
    """The boxes a tile (x1, y1, x2, y2) should hold, in its own pixels: each
    box's part inside it, where that part is at least MIN_AREA_INSIDE of it."""
    tx1, ty1, tx2, ty2 = tile
    boxes = []
    for b in image.boxes:
        x1, y1 = max(b.x1, tx1), max(b.y1, ty1)
        x2, y2 = min(b.x2, tx2), min(b.y2, ty2)
        if x2 <= x1 or y2 <= y1:
            continue
        if (x2 - x1) * (y2 - y1) >= MIN_AREA_INSIDE * (b.x2 - b.x1) * (b.y2 - b.y1):
            boxes.append((b.label, x1 - tx1, y1 - ty1, x2 - tx1, y2 - ty1))
    return sorted(boxes)


def tile_boxes(tile):
    return sorted((b.label, b.x1, b.y1, b.x2, b.y2) for b in tile.boxes)


def assert_same_boxes(got, want):
    """The same labels, and corners within 0.5 px."""
    assert [b[0] for b in got] == [b[0] for b in want]
    assert np.allclose([b[1:] for b in got], [b[1:] for b in want], atol=0.5)


@pytest.mark.parametrize('size,overlap,starts', [
    (200, 0.0, (0, 200)),  # 2 x 2, no pixel twice
    (200, 0.5, (0, 100, 200)),  # 3 x 3, half a tile shared
    (300, 0.0, (0, 100)),  # the edge tile shifted inward to stay 300 px
])
def test_tiles_hold_the_pixels_and_boxes_of_their_place(tmp_path, photograph, size,
                                                        overlap, starts):
    image = photograph.images[0]
    tiles = tile_dataset(photograph, str(tmp_path), size, overlap)
    grid = {(x, y, x + size, y + size) for x in starts for y in starts}
    assert len(tiles.images) == len(grid)
    assert tiles.classes == photograph.classes
    pixels = np.asarray(Image.open(image.path).convert('RGB'))
    found = set()
    for tile in tiles.images:
        # the name says where the tile lies in the photograph
        place = tuple(int(v) for v in Path(tile.file_name).stem.split('_')[-4:])
        found.add(place)
        assert (tile.width, tile.height) == (size, size)
        x1, y1, x2, y2 = place
        assert np.array_equal(np.asarray(Image.open(tile.path).convert('RGB')),
                              pixels[y1:y2, x1:x2])
        assert_same_boxes(tile_boxes(tile), expected_boxes(image, place))
    assert found == grid
    # every crown lies wholly inside at least one tile when tiles overlap by half
    if overlap == 0.5:
        assert sum(len(t.boxes) for t in tiles.images) >= len(image.boxes)


def test_an_image_no_larger_than_a_tile_stays_whole(tmp_path, photograph):
    tiles = tile_dataset(photograph, str(tmp_path), 512)
    tile, = tiles.images
    assert (tile.width, tile.height) == (400, 400)
    assert_same_boxes(tile_boxes(tile), tile_boxes(photograph.images[0]))
    assert 'cut 1 images into 1 tiles of 512 px' in tiles.notes[-1]


@pytest.mark.parametrize('size,overlap', [(0, 0.0), (200, 1.0), (200, -0.1)])
def test_bad_tile_settings_are_refused(tmp_path, photograph, size, overlap):
    with pytest.raises(ValueError):
        tile_dataset(photograph, str(tmp_path), size, overlap)


def test_convert_with_tiles_writes_a_coco_folder_of_tile_files(tmp_path):
    dst = tmp_path / 'tiles'
    dataset, written = formats.convert_dataset(str(REAL_VOC), str(dst), 'voc',
                                               val_fraction=0.25, tile=200)
    # two 400 px photographs, 4 tiles each, split by tile
    assert written['train']['num_images'] + written['val']['num_images'] == 8
    assert written['val']['num_images'] == 2
    assert dataset.classes == ('Alive', 'Dead', 'Tree')
    for split in ('train', 'val'):
        files = sorted(p.name for p in (dst / split).iterdir())
        assert len(files) == written[split]['num_images']
        assert not any((dst / split / f).is_symlink() for f in files)
    # the returned tiles point at the written files (the tile folder is gone)
    assert all(Path(im.path).is_file() and str(dst) in im.path
               for im in dataset.images)
