"""One training loop for every experiment: `train_and_evaluate(config, workdir)`.

The datasets live on the device; an epoch is a device-side permutation cut into chunks of steps, each chunk one
jitted call with the training state donated (`steps`), so the host does no per-step work beyond a dispatch.
Between chunks the loop only checks for SIGTERM; between epochs it validates, keeps the best state, checkpoints
and logs. It knows nothing of clocks: the data, the model and the representation come from the config.
"""
import dataclasses
import os
import signal
import threading
import time

import jax
import numpy as np

from timeread_jax import checkpoints
from timeread_jax import datasets
from timeread_jax import distributed
from timeread_jax import render
from timeread_jax import representations
from timeread_jax import files
from timeread_jax import results
from timeread_jax import steps as steps_lib
from timeread_jax import workdir_lock
from timeread_jax.config import check_workdir
from timeread_jax.config import Config
from timeread_jax.errors import ConfigError
from timeread_jax.config import to_json
from timeread_jax.errors import TrainingDiverged


class Preempted(RuntimeError):
  """SIGTERM arrived; the state was saved at the current step."""


@dataclasses.dataclass
class Progress:
  """Where the loop stands, saved beside every checkpoint so that a resumed run continues exactly. Lists hold one
  entry per seed."""
  history: list  # each seed's records, one per finished epoch: train and validation metrics, seconds
  best_monitored: list  # each seed's best validation `monitor` so far (None before the first epoch)
  best_epoch: list  # the epoch it was reached (0: none yet)
  epoch: int = 0  # epochs finished
  chunks_done: int = 0  # calls of the current epoch made before a preemption
  epoch_metrics: dict = dataclasses.field(default_factory=dict)  # their per-step metrics: (seeds, steps) lists
  epoch_seconds: float = 0.0  # their time
  train_seconds: float = 0.0

  @classmethod
  def start(cls, num_seeds: int) -> 'Progress':
    return cls(history=[[] for _ in range(num_seeds)], best_monitored=[None] * num_seeds, best_epoch=[0] * num_seeds)

  @classmethod
  def from_json(cls, saved: dict) -> 'Progress':
    if 'best_val_loss' in saved:  # saved before `monitor` existed, when it was always val_loss
      saved = {**saved, 'best_monitored': saved.pop('best_val_loss')}
    return cls(**saved)

  def to_json(self) -> dict:
    return dataclasses.asdict(self)

  def active_seeds(self, patience: int) -> list[bool]:
    """Which seeds still train: early stopping ends each on its own (the others carry on)."""
    return [not patience or self.epoch - best < patience for best in self.best_epoch]

  def joined_metrics(self, chunk_metrics: list) -> dict[str, list[list[float]]]:
    """Each seed's per-step metrics of the epoch so far: those saved before a preemption, then this session's."""
    joined = {k: [list(values) for values in v] for k, v in self.epoch_metrics.items()}
    for metrics in chunk_metrics:
      for k, v in metrics.items():
        v = np.asarray(v)  # (seeds, steps)
        for values, new in zip(joined.setdefault(k, [[] for _ in v]), v):
          values.extend(new.tolist())
    return joined


def train_and_evaluate(config: Config, workdir: str, flags_text: str = '', init_variables: dict | None = None) -> dict:
  """Trains (resuming from the workdir's latest checkpoint), evaluates the best epoch on test, writes results.

  `flags_text`, the command line's flags, is kept in workdir/flags.txt beside config.json. SIGTERM saves the
  state mid-epoch and raises `Preempted`; the same call then resumes from that very step. With several seeds
  (`config.num_seeds`) each stops early on its own, and gets workdir/seed_<seed>/ for its metrics.jsonl,
  results.json and plots; workdir/results.json then holds every metric's mean and standard deviation.
  `init_variables` (the weights of `config.init_from`) start a new run; a resumed one continues its own.
  """
  workdir = os.path.abspath(workdir)
  # The renderer a run draws from, so that a resume never mixes two (check_workdir compares it).
  synthetic = config.data == 'clocks' and not config.data_dir
  config = dataclasses.replace(config, clock_generator=render.GENERATOR_VERSION if synthetic else 0)
  os.makedirs(workdir, exist_ok=True)
  # One writer per workdir: a second run on it is refused; on several hosts, process 0 holds it for all of them.
  with workdir_lock.hold(workdir, is_main=distributed.is_main_process()):
    return _run(config, workdir, flags_text, init_variables)


def _run(config: Config, workdir: str, flags_text: str, init_variables: dict | None) -> dict:
  check_workdir(config, workdir)
  splits = datasets.load_splits(config)
  num_train = len(splits.train[0])
  steps_per_epoch = num_train // config.batch_size
  if steps_per_epoch == 0:
    raise ConfigError(f'batch size {config.batch_size} is larger than the {num_train} training examples')
  steps = steps_lib.Steps(config, steps_per_epoch)
  statistics = representations.statistics(steps.representation)
  # Written once the settings are known to run: a mistake leaves no config.json to refuse its correction.
  if distributed.is_main_process():
    files.write_json(os.path.join(workdir, 'config.json'), to_json(config))
    files.write_text(os.path.join(workdir, 'flags.txt'), flags_text)
    files.write_json(os.path.join(workdir, 'versions.json'), results.package_versions())
  chunk = steps_lib.steps_per_call(config, steps_per_epoch, steps.network)
  num_chunks = steps_per_epoch // chunk
  train_data = steps.put(steps.source.device_data(splits.train))
  val_split = steps.put_eval(*splits.val)
  seeds = config.seeds
  seed_dirs = [workdir] if len(seeds) == 1 else [os.path.join(workdir, f'seed_{seed}') for seed in seeds]

  state = steps.init_state(init_variables)
  best_state = None  # each seed's state at its best `config.monitor`
  num_params = sum(x.size for x in jax.tree.leaves(state.params)) // len(seeds)
  progress = Progress.start(len(seeds))
  with checkpoints.Checkpoints(workdir) as ckpt, _SigtermFlag() as sigterm:
    restored = ckpt.restore('latest', state)
    if restored:
      state, progress = restored[0], Progress.from_json(restored[1])
      restored_best = ckpt.restore('best', state)  # none yet when the first epoch was cut
      best_state = restored_best[0] if restored_best else None
      results.log(f'resumed from {workdir} at epoch {progress.epoch} + {progress.chunks_done} of {num_chunks} calls')
    results.log(f'{config.experiment}: {num_params:,} parameters, {num_train} train / {val_split[1]} val / '
                f'{len(splits.test[0])} test examples, {steps_per_epoch} steps of {config.batch_size} per epoch '
                f'({chunk} per call) on {jax.device_count()} x {jax.devices()[0].device_kind}'
                + (f', {len(seeds)} seeds side by side' if len(seeds) > 1 else ''))

    while progress.epoch < config.epochs and any(active := progress.active_seeds(config.patience)):
      epoch = progress.epoch + 1
      start = time.perf_counter() - progress.epoch_seconds
      order = steps.epoch_order(state, num_train, num_chunks, chunk)
      chunk_metrics = []
      progress_bar = results.ProgressBar(f'epoch {epoch}', num_chunks)
      for index in range(progress.chunks_done, num_chunks):
        state, metrics = steps.train_chunk(state, train_data, order[index],
                                             unroll=chunk <= steps_lib.MAX_UNROLLED_STEPS)
        chunk_metrics.append(metrics)
        progress_bar.update(metrics)
        if distributed.any_process(sigterm.is_set()):
          progress.chunks_done, progress.epoch_seconds = index + 1, time.perf_counter() - start
          progress.epoch_metrics = progress.joined_metrics(chunk_metrics)
          ckpt.save('latest', int(state.step[0]), state, progress.to_json())
          raise Preempted(f'stopped by SIGTERM at step {int(state.step[0])}, saved; rerun the same command to resume')
      progress_bar.close()
      step_metrics = progress.joined_metrics(chunk_metrics)
      _check_finite(step_metrics['loss'], progress.epoch * steps_per_epoch, active, seeds)
      seconds = time.perf_counter() - start
      val = [results.summarize(outputs, statistics, 'val_') for outputs in _per_seed(steps.evaluate(state, val_split))]
      improved = [is_active and _better(statistics[config.monitor[len('val_'):]], v[config.monitor], best)
                  for is_active, v, best in zip(active, val, progress.best_monitored)]
      for s in np.flatnonzero(active):
        progress.history[s].append({'epoch': epoch, **{f'train_{k}': float(np.mean(v[s])) for k, v in
                                                       step_metrics.items()}, **val[s], 'epoch_seconds': seconds})
      for s in np.flatnonzero(improved):
        progress.best_monitored[s], progress.best_epoch[s] = val[s][config.monitor], epoch
      progress.epoch, progress.chunks_done, progress.epoch_metrics, progress.epoch_seconds = epoch, 0, {}, 0.0
      progress.train_seconds += seconds
      if any(improved):
        best_state = steps.keep_best(state if best_state is None else best_state, state, np.array(improved))
        ckpt.save('best', int(state.step[0]), best_state, progress.to_json())
      ckpt.save('latest', int(state.step[0]), state, progress.to_json())
      results.log(results.epoch_line([progress.history[s][-1] for s in np.flatnonzero(active)], config.epochs,
                                     any(improved), {name for name, statistic in statistics.items()
                                                     if name == statistic.metric and statistic.reduce is np.mean}))
      if distributed.is_main_process():  # rewritten whole from the checkpointed history: a resume repeats no line
        for seed_dir, history in zip(seed_dirs, progress.history):
          results.write_history(seed_dir, history)

  test_outputs = _per_seed(steps.evaluate(best_state, steps.put_eval(*splits.test)))
  return results.write_results(config, workdir, seed_dirs, progress, steps.representation, test_outputs, num_params)


class _SigtermFlag:
  """While active, SIGTERM sets an event (checked between calls) instead of killing the process."""

  def __enter__(self) -> threading.Event:
    self.event = threading.Event()
    self.previous = None
    if threading.current_thread() is threading.main_thread():
      self.previous = signal.signal(signal.SIGTERM, lambda *_: self.event.set())
    return self.event

  def __exit__(self, *exc_info):
    if self.previous is not None:
      signal.signal(signal.SIGTERM, self.previous)


def _per_seed(per_example: dict[str, np.ndarray]) -> list[dict[str, np.ndarray]]:
  return [{k: v[s] for k, v in per_example.items()} for s in range(len(per_example['loss']))]


def _better(statistic: representations.Statistic, value: float, best: float | None) -> bool:
  if best is None:
    return True
  return value > best if statistic.higher_is_better else value < best


def _check_finite(losses: list[list[float]], first_step: int, active: list[bool], seeds: list[int]) -> None:
  for seed_losses, is_active, seed in zip(np.asarray(losses), active, seeds):
    bad = np.flatnonzero(~np.isfinite(seed_losses))
    if is_active and bad.size:
      which = f' (seed {seed})' if len(seeds) > 1 else ''
      raise TrainingDiverged(f'loss became {seed_losses[bad[0]]} at step {first_step + bad[0] + 1}{which}; the last '
                             'checkpoint keeps the last finite state: lower --learning_rate and rerun')
