"""The Runner that builds its datasets with the safe image loader.

Why a Runner and not a pipeline step in the configs: mmdet's ``inference_detector``
/ ``DetInferencer`` and mmseg's ``MMSegInferencer`` find the test pipeline's
loading step by the name ``LoadImageFromFile`` and swap it for their in-memory
loaders, keeping its arguments. A ``SafeLoadImageFromFile`` step is not found by
that name, and its ``on_bad`` argument breaks ``LoadImageFromNDArray``. So the
configs keep mmcv's plain step, which is what these APIs see, and only a Runner
(training, validation and test, in our ``tools/`` and in mmdet's, which build
``runner_type`` through ``RUNNERS``) loads through
:class:`~shufflenet_backbones.datasets.SafeLoadImageFromFile`.
"""
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from ..datasets.safe_loading import with_safe_loading

__all__ = ['SafeLoadingRunner']

# what a bad file becomes in each phase: mmengine refetches another sample in
# training; validation and test must score every annotated image (see
# SafeLoadImageFromFile)
_ON_BAD = dict(train='skip', val='placeholder', test='placeholder')


@RUNNERS.register_module()
class SafeLoadingRunner(Runner):
    """mmengine's ``Runner`` whose datasets load images with
    ``SafeLoadImageFromFile`` where their pipelines name ``LoadImageFromFile``.

    A bad file (missing, truncated, not decoding, or of another size than its
    annotation) is skipped in training and scored as a blank image in
    validation and test; ``BadSampleHook`` counts them. The dataloader configs
    are rewritten when the Runner is built, before any loop builds a dataset or
    starts a worker; the config written to the work dir is the one given.

    Options come from the config's ``safe_loading`` dict:
    ``SafeLoadImageFromFile``'s ``check_size`` and ``max_bad_in_row``.

    Example:
        >>> # in a config
        >>> runner_type = 'SafeLoadingRunner'
        >>> safe_loading = dict(check_size=True, max_bad_in_row=20)
        >>> custom_hooks = [dict(type='BadSampleHook')]
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        options = dict(self.cfg.get('safe_loading') or {})
        for phase, on_bad in _ON_BAD.items():
            attr = f'_{phase}_dataloader'
            loader = getattr(self, attr)
            if isinstance(loader, dict):  # not yet built (as from a config)
                setattr(self, attr, with_safe_loading(loader, on_bad, **options))
