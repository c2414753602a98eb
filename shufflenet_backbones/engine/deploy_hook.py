import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ..models.backbones import BaseShuffleNet


class DeployBackboneHook(Hook):
    """Switch the model's ShuffleNet backbone to deploy mode (BN folded into the
    convs, :meth:`BaseShuffleNet.switch_to_deploy`) when testing starts, i.e. after
    the Runner has loaded the checkpoint. ``tools/test.py --deploy`` adds it.

    Args:
        model (nn.Module): The model the Runner will test; checked at once so that
            a model without a ShuffleNet backbone fails before any work is done.
    """

    priority = 'VERY_HIGH'  # before any hook looks at the model

    def __init__(self, model: nn.Module):
        backbone = getattr(self._unwrap(model), 'backbone', None)
        if not isinstance(backbone, BaseShuffleNet):
            raise ValueError('deploy mode folds the BN of a ShuffleNet backbone; '
                             "this model's backbone is "
                             f'{type(backbone).__name__}')

    @staticmethod
    def _unwrap(model: nn.Module) -> nn.Module:
        return model.module if is_model_wrapper(model) else model

    def before_test(self, runner) -> None:
        backbone = self._unwrap(runner.model).backbone
        backbone.switch_to_deploy()
        runner.logger.info(f'{type(backbone).__name__} switched to deploy mode: BN '
                           'folded into the convs')
