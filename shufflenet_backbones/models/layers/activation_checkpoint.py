from contextlib import contextmanager, nullcontext
from typing import Callable, Iterator

import torch.nn as nn
from torch import Tensor
from torch.nn.modules.batchnorm import _BatchNorm
from torch.utils.checkpoint import checkpoint


@contextmanager
def _running_stats_frozen(module: nn.Module) -> Iterator[None]:
    """Keep BN running statistics unchanged while the block is recomputed.

    Activation checkpointing runs the forward pass a second time during backward;
    a BN layer in training mode would then fold the same batch into its running
    statistics twice. Momentum 0 keeps them as they are (the normalisation itself
    still uses the batch statistics, so outputs and gradients are unaffected).
    """
    saved = [(m, m.momentum, m.num_batches_tracked.clone())
             for m in module.modules()
             if isinstance(m, _BatchNorm) and m.track_running_stats]
    for m, _, _ in saved:
        m.momentum = 0.0
    try:
        yield
    finally:
        for m, momentum, tracked in saved:
            m.momentum = momentum
            m.num_batches_tracked.copy_(tracked)


def checkpointed(module: nn.Module, forward: Callable[[Tensor], Tensor],
                 x: Tensor) -> Tensor:
    """``forward(x)`` under activation checkpointing (non-reentrant).

    Equivalent to ``forward(x)`` in outputs, gradients and BN running statistics,
    but keeps only ``x`` for the backward pass instead of every activation.
    """
    return checkpoint(
        forward,
        x,
        use_reentrant=False,
        context_fn=lambda: (nullcontext(), _running_stats_frozen(module)))
