from .bad_sample_hook import BadSampleHook, TooManyBadSamplesError
from .deploy_hook import DeployBackboneHook
from .hooks import (SafeCheckpointHook, StopOnNonFiniteLossHook,
                    TrainingDivergedError, atomic_write_text, first_non_finite)
from .safe_loading_runner import SafeLoadingRunner

__all__ = [
    'BadSampleHook', 'TooManyBadSamplesError', 'DeployBackboneHook',
    'SafeCheckpointHook', 'SafeLoadingRunner', 'StopOnNonFiniteLossHook',
    'TrainingDivergedError', 'atomic_write_text', 'first_non_finite'
]
