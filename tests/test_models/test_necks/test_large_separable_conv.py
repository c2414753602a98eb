import pytest
import torch

from shufflenet_backbones.models import LargeSeparableConv


def test_thin_map_comes_first_and_keeps_resolution():
    neck = LargeSeparableConv(in_channels=64, mid_channels=8, out_channels=490,
                              kernel_size=15)
    c4, c5 = torch.rand(2, 32, 20, 30), torch.rand(2, 64, 10, 15)
    thin, out_c4, out_c5 = neck((c4, c5))
    assert thin.shape == (2, 490, 10, 15)  # "same" padding
    assert out_c4 is c4 and out_c5 is c5
    assert thin.min() >= 0  # ReLU after the sum


def test_two_separable_paths_are_k_by_1_and_1_by_k():
    neck = LargeSeparableConv(in_channels=16, mid_channels=4, out_channels=90,
                              kernel_size=7)
    kernels = [m.conv.kernel_size for m in (*neck.col_path, *neck.row_path)]
    assert kernels == [(7, 1), (1, 7), (1, 7), (7, 1)]
    assert [m.conv.out_channels for m in neck.col_path] == [4, 90]


def test_wrong_input_channels_and_even_kernel_are_named():
    neck = LargeSeparableConv(in_channels=16, out_channels=90)
    with pytest.raises(ValueError, match='has 8 channels, in_channels says 16'):
        neck((torch.rand(1, 8, 5, 5), ))
    with pytest.raises(ValueError, match='kernel_size'):
        LargeSeparableConv(in_channels=16, kernel_size=14)
