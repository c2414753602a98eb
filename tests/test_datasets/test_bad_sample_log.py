"""How a bad sample is told and recorded (datasets/bad_sample_log.py):
``check_image_bytes`` on whole, truncated, padded and other files (OpenCV, mmcv's
default decoder, may decode part of a truncated file without raising),
``report_bad_sample``'s one warning and its record line where ``BAD_SAMPLES_ENV``
names a file, and ``read_bad_samples`` from an offset."""
import json

import cv2
import numpy as np
import pytest

from shufflenet_backbones.datasets.bad_sample_log import (BAD_SAMPLES_ENV,
                                                          check_image_bytes,
                                                          read_bad_samples,
                                                          report_bad_sample)


def encoded(ext: str) -> bytes:
    img = np.random.default_rng(0).integers(0, 255, (48, 64, 3), dtype=np.uint8)
    ok, data = cv2.imencode(f'.{ext}', img)
    assert ok
    return data.tobytes()


@pytest.mark.parametrize('data', [
    encoded('png'),
    encoded('jpg'),
    encoded('jpg') + b'\x00\r\n ',  # padding after the EOI marker
    encoded('jpg') + b'\xff\xd8more',  # camera data after it, decodes whole
    encoded('bmp'),  # no end marker: the decoder's verdict only
], ids=['png', 'jpg', 'jpg_padded', 'jpg_trailing_data', 'other_format'])
def test_whole_files_pass(data):
    assert check_image_bytes(data) is None


def half(data: bytes) -> bytes:
    return data[:len(data) // 2]  # what an interrupted copy leaves


@pytest.mark.parametrize('data,reason', [
    (b'', 'empty file'),
    (half(encoded('png')), 'truncated PNG (no IEND chunk)'),
    (half(encoded('jpg')), 'truncated or corrupt JPEG ('),
    (encoded('jpg')[:-2], 'truncated or corrupt JPEG ('),  # only the EOI missing
], ids=['empty', 'png', 'jpg', 'jpg_without_eoi'])
def test_truncated_files_are_told(data, reason):
    assert check_image_bytes(data).startswith(reason)


@pytest.mark.parametrize('recorded', [False, True], ids=['no_hook', 'hook'])
def test_report_warns_once_and_records_where_asked(recorded, warnings_seen,
                                                   tmp_path, monkeypatch):
    record = tmp_path / 'record.jsonl'
    if recorded:
        monkeypatch.setenv(BAD_SAMPLES_ENV, str(record))
    else:
        monkeypatch.delenv(BAD_SAMPLES_ENV, raising=False)
    report_bad_sample('a.jpg', 'empty file')
    report_bad_sample('b.png', 'truncated PNG', action='replaced by a blank')
    assert warnings_seen == ['Bad sample skipped: a.jpg: empty file',
                             'Bad sample replaced by a blank: b.png: truncated PNG']
    if recorded:
        assert [json.loads(line) for line in record.read_text().splitlines()] == [
            dict(file='a.jpg', reason='empty file'),
            dict(file='b.png', reason='truncated PNG')]
    else:
        assert list(tmp_path.iterdir()) == []


def test_read_bad_samples_from_an_offset(tmp_path, monkeypatch):
    record = tmp_path / 'record.jsonl'
    assert read_bad_samples(str(record)) == []  # nothing reported yet
    monkeypatch.setenv(BAD_SAMPLES_ENV, str(record))
    report_bad_sample('a.jpg', 'empty file')
    offset = record.stat().st_size
    report_bad_sample('b.jpg', 'empty file')
    report_bad_sample('b.jpg', 'empty file')  # twice: listed twice
    assert [r['file'] for r in read_bad_samples(str(record))] == [
        'a.jpg', 'b.jpg', 'b.jpg']
    assert [r['file'] for r in read_bad_samples(str(record), offset)] == [
        'b.jpg', 'b.jpg']
