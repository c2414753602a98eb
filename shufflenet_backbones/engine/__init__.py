from .bad_samples import BadSampleHook, TooManyBadSamplesError
from .deploy_hook import DeployBackboneHook
from .hooks import (SafeCheckpointHook, StopOnNonFiniteLossHook,
                    TrainingDivergedError, atomic_write_text, first_non_finite)

__all__ = [
    'BadSampleHook', 'TooManyBadSamplesError',
    'DeployBackboneHook', 'SafeCheckpointHook', 'StopOnNonFiniteLossHook',
    'TrainingDivergedError', 'atomic_write_text', 'first_non_finite'
]
