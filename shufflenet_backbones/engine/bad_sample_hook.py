"""Count the samples the safe loading transforms skipped, list them, stop a run that
has too many, and put the count into the validation and test metrics.

The transforms (:mod:`shufflenet_backbones.datasets.safe_loading`) run in DataLoader
worker processes, where a counter would stay. They append one line per skipped
file to a record file whose path this hook puts into the environment
(:data:`~shufflenet_backbones.datasets.bad_sample_log.BAD_SAMPLES_ENV`), one file per
phase; workers inherit the environment when they start. No extra pass over the
data is needed. The training loader may start its workers when the Runner builds
the loop, before any hook method runs, so the hook sets the variable when it is
built (with the Runner), to a temporary folder; ``after_run`` moves the records to
``<log_dir>/bad_samples/{train,val,test}.jsonl``.
"""
import os
import os.path as osp
import shutil
import tempfile
from typing import Dict, List, Optional

from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from mmengine.runner import IterBasedTrainLoop

from ..datasets.bad_sample_log import BAD_SAMPLES_ENV, read_bad_samples
from ..datasets.safe_loading import loads_safely

__all__ = ['BadSampleHook', 'TooManyBadSamplesError']

# How many file names a summary line lists.
_NUM_NAMED = 10


class TooManyBadSamplesError(RuntimeError):
    """More training samples are bad than the configured share allows."""


def _names(files: List[str]) -> str:
    more = f' and {len(files) - _NUM_NAMED} more' if len(files) > _NUM_NAMED else ''
    return ', '.join(files[:_NUM_NAMED]) + more


@HOOKS.register_module()
class BadSampleHook(Hook):
    """Collect the files skipped by ``SafeLoadImageFromFile`` /
    ``SafeLoadSegAnnotations``; stop training when too many are bad.

    - Training: after each iteration (a ``stat`` unless the record grew) the
      distinct bad files are compared with the dataset's size; above
      ``max_bad_share`` the run stops with :class:`TooManyBadSamplesError`, one
      line naming the share and the first files. At the end of each epoch and of
      training one warning lists them.
    - Validation / test: ``skipped_images`` (samples replaced by a blank, see
      ``on_bad='placeholder'``) and ``images_evaluated`` are added to the metrics,
      so they are logged with the score. The priority is HIGHEST so that they are
      added before ``RuntimeInfoHook`` and ``LoggerHook`` read the metrics.

    Args:
        max_bad_share (float): Largest share of distinct bad training files,
            in [0, 1]. Defaults to 0.05.

    Example:
        >>> custom_hooks = [dict(type='BadSampleHook', max_bad_share=0.05)]
    """

    priority = 'HIGHEST'

    def __init__(self, max_bad_share: float = 0.05):
        if not 0 <= max_bad_share <= 1:
            raise ValueError(f'max_bad_share must be in [0, 1], got {max_bad_share}')
        self.max_bad_share = max_bad_share
        # set now: the training loader may start its workers before before_run
        self._dir = tempfile.mkdtemp(prefix='bad_samples_')
        self._saved_env = os.environ.get(BAD_SAMPLES_ENV)
        self._point_to('train')
        self._final_dir: Optional[str] = None
        self._offsets: Dict[str, int] = {}
        self._train_size = 0
        self._train_bad: Dict[str, str] = {}
        self._train_read = 0
        self._warned: set = set()

    # --- the record files ---------------------------------------------------------

    def _record(self, phase: str) -> str:
        return osp.join(self._dir, f'{phase}.jsonl')

    def _point_to(self, phase: str) -> None:
        os.environ[BAD_SAMPLES_ENV] = self._record(phase)

    def _size(self, phase: str) -> int:
        path = self._record(phase)
        return os.path.getsize(path) if osp.isfile(path) else 0

    def before_run(self, runner) -> None:
        self._final_dir = osp.join(runner.log_dir, 'bad_samples')

    def after_run(self, runner) -> None:
        for name in sorted(os.listdir(self._dir)):
            os.makedirs(self._final_dir, exist_ok=True)
            shutil.copy(osp.join(self._dir, name), self._final_dir)
        if self._saved_env is None:
            os.environ.pop(BAD_SAMPLES_ENV, None)
        else:
            os.environ[BAD_SAMPLES_ENV] = self._saved_env

    # --- training -------------------------------------------------------------------

    def _check_loading(self, runner, phase: str, dataset) -> None:
        """Warn once per phase when the dataset loads with the plain loader: the
        Runner was built without ``runner_type`` (``Runner.from_cfg``, or another
        ``runner_type``), so a bad file stops the run instead of being counted."""
        if phase in self._warned or loads_safely(dataset):
            return
        self._warned.add(phase)
        runner.logger.warning(
            f'BadSampleHook: the {phase} dataset does not load through '
            "SafeLoadImageFromFile, so bad files are not skipped or counted: build "
            "the Runner with runner_type='SafeLoadingRunner' and "
            'mmengine.registry.RUNNERS.build(cfg) (Runner.from_cfg ignores '
            'runner_type)')

    def before_train(self, runner) -> None:
        self._train_size = len(runner.train_dataloader.dataset)
        self._check_loading(runner, 'train', runner.train_dataloader.dataset)

    def _update_train(self) -> None:
        size = self._size('train')
        if size == self._train_read:
            return
        for rec in read_bad_samples(self._record('train'), self._train_read):
            self._train_bad.setdefault(rec['file'], rec['reason'])
        self._train_read = size

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        self._update_train()
        bad = len(self._train_bad)
        if bad and bad > self.max_bad_share * self._train_size:
            raise TooManyBadSamplesError(
                f'{bad} of {self._train_size} training samples '
                f'({bad / self._train_size:.1%}) could not be loaded, more than '
                f'max_bad_share={self.max_bad_share:.1%}: '
                f'{_names(list(self._train_bad))}')

    def _log_train(self, runner, when: str) -> None:
        self._update_train()
        if self._train_bad:
            runner.logger.warning(
                f'{when}: {len(self._train_bad)} of {self._train_size} training '
                f'samples skipped (files that could not be loaded, listed in '
                f"{osp.join(self._final_dir, 'train.jsonl')}): "
                f'{_names(list(self._train_bad))}')

    def after_train_epoch(self, runner) -> None:
        if not isinstance(runner.train_loop, IterBasedTrainLoop):  # 1 'epoch'
            self._log_train(runner, f'Epoch {runner.epoch}')

    def after_train(self, runner) -> None:
        self._log_train(runner, 'Training done')

    # --- validation and test --------------------------------------------------------

    def _before_eval(self, phase: str) -> None:
        self._offsets[phase] = self._size(phase)
        self._point_to(phase)

    def _after_eval(self, runner, phase: str, dataset_size: int,
                    metrics: Optional[dict]) -> None:
        records = read_bad_samples(self._record(phase), self._offsets[phase])
        files = list(dict.fromkeys(rec['file'] for rec in records))
        if metrics is not None:
            metrics['skipped_images'] = len(files)
            metrics['images_evaluated'] = dataset_size - len(files)
        if files:
            runner.logger.warning(
                f'{phase}: {len(files)} of {dataset_size} images could not be '
                'loaded and were scored as blank images (their objects count as '
                f'missed): {_names(files)}')
        # back to training's record for the loaders started after this
        self._point_to('train')

    def before_val_epoch(self, runner) -> None:
        self._check_loading(runner, 'val', runner.val_dataloader.dataset)
        self._before_eval('val')

    def after_val_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        self._after_eval(runner, 'val', len(runner.val_dataloader.dataset),
                         metrics)

    def before_test_epoch(self, runner) -> None:
        self._check_loading(runner, 'test', runner.test_dataloader.dataset)
        self._before_eval('test')

    def after_test_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        self._after_eval(runner, 'test', len(runner.test_dataloader.dataset),
                         metrics)
