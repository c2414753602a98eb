from torch import Tensor


def channel_shuffle(x: Tensor, groups: int) -> Tensor:
    """Interleave the channels of ``groups`` equal groups (ShuffleNet V1, Fig. 1).

    Channel ``k * (C // groups) + i`` of the input moves to ``i * groups + k``, so
    every group of the next grouped convolution sees channels from every group of
    the previous one. The one implementation used by every ShuffleNet variant here.

    Args:
        x (Tensor): (N, C, H, W) input; C must be divisible by ``groups``.
        groups (int): Number of groups to interleave.

    Returns:
        Tensor: (N, C, H, W), the same values with channels permuted.
    """
    n, c, h, w = x.shape
    if c % groups:
        raise ValueError(f'channel_shuffle: {c} channels cannot be split into '
                         f'groups={groups}')
    return x.view(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)
