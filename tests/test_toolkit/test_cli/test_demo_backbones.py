"""tools/demo_backbones.py (shufflenet_backbones.toolkit.cli.demo_backbones): every
variant of the FLOPs table, its FLOPs beside the paper's and each feature map it
can output with the shape a real forward gives; a size below the stride is one
argparse error."""
import re

import pytest

from shufflenet_backbones.toolkit.analysis.flops import VARIANTS
from shufflenet_backbones.toolkit.cli.demo_backbones import main


def test_prints_every_variant_and_its_maps(capsys):
    main(['--size', '64', '96'])
    out = capsys.readouterr().out
    headers = [line for line in out.splitlines() if 'MFLOPs' in line]
    assert len(headers) == len(VARIANTS)
    maps = re.findall(r'stride\s+(\d+)\s+channels\s+(\d+)\s+shape \(1, (\d+), (\d+), '
                      r'(\d+)\)', out)
    assert maps
    for stride, channels, shape_channels, height, width in maps:
        assert channels == shape_channels
        # a real forward's shape: the input divided by the stride (rounded up)
        assert (int(height), int(width)) == (-(-64 // int(stride)),
                                             -(-96 // int(stride)))


def test_too_small_a_size_is_refused(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(['--size', '16', '16'])
    assert exit_info.value.code == 2
    assert '--size must be at least 32x32' in capsys.readouterr().err
