"""check_odd_kernel (models/layers/kernel_size.py): positive odd integers pass
(the sizes that "same" padding of ``kernel_size // 2`` keeps), anything else is a
ValueError naming where it comes from and the value given."""
import pytest

from shufflenet_backbones.models.layers import check_odd_kernel


@pytest.mark.parametrize('kernel_size', [1, 3, 5, 7, 15])
def test_odd_integers_pass(kernel_size):
    assert check_odd_kernel(kernel_size, 'Unit: kernel_size') is None


@pytest.mark.parametrize('kernel_size', [2, 4, 0, -1, -3, 3.0, 3.5, '3', None,
                                         (3, 3)])
def test_others_are_refused_by_name(kernel_size):
    with pytest.raises(ValueError) as err:
        check_odd_kernel(kernel_size, 'SNet: dw_kernel_size')
    assert str(err.value) == ('SNet: dw_kernel_size must be an odd integer ("same" '
                              f'padding: 3, 5, ...), got {kernel_size!r}')
