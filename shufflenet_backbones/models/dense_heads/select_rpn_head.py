from typing import Sequence, Tuple

from mmdet.models.dense_heads import RPNHead
from torch import Tensor

from ...registry import register_detection_model


@register_detection_model
class SelectRPNHead(RPNHead):
    """mmdet's ``RPNHead`` that reads only some of the neck's outputs.

    Light-Head R-CNN runs its RPN on the stride-16 backbone feature while the R-CNN
    part reads the thin feature map; both arrive in one tuple. ``in_indices`` says
    which entries are the RPN's levels (one per anchor-generator stride).

    Args:
        in_indices (Sequence[int]): Positions in the neck outputs. Default: (1, ).
        **kwargs: Everything ``RPNHead`` takes.
    """

    def __init__(self, *args, in_indices: Sequence[int] = (1, ), **kwargs):
        super().__init__(*args, **kwargs)
        self.in_indices = tuple(in_indices)
        num_levels = self.prior_generator.num_levels
        if len(self.in_indices) != num_levels:
            raise ValueError(f'SelectRPNHead: in_indices {self.in_indices} must give '
                             f'one feature per anchor level ({num_levels})')

    def forward(self, x: Tuple[Tensor, ...]) -> Tuple[list, list]:
        return super().forward(tuple(x[i] for i in self.in_indices))
