"""The one check on the odd kernel sizes of 'same'-padded convs."""


def check_odd_kernel(kernel_size, where: str) -> None:
    """ValueError naming ``where`` (module and argument) unless ``kernel_size`` is
    a positive odd integer: only those keep the size with ``kernel_size // 2``
    padding."""
    if not isinstance(kernel_size, int) or kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError(f'{where} must be an odd integer ("same" padding: 3, 5, '
                         f'...), got {kernel_size!r}')
