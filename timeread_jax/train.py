"""One training loop for every experiment: `train_and_evaluate(config, workdir)`.

The datasets live on the device; an epoch is a device-side permutation cut into chunks of steps, each chunk one
jitted `lax.scan` with the training state donated, so the host does no per-step work beyond a dispatch.
"""
import dataclasses
import json
import os
import signal
import sys
import threading
import time

import flax.struct
import jax
import jax.numpy as jnp
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P
import numpy as np
import optax

from timeread_jax import checkpoints
from timeread_jax import clocks
from timeread_jax import datasets
from timeread_jax import files
from timeread_jax import models
from timeread_jax import plots
from timeread_jax import render
from timeread_jax import representations

# Changing these between runs of one workdir continues the same training; any other field starts a different one.
RESUMABLE_FIELDS = ('epochs', 'patience', 'steps_per_call')
EVAL_BATCH_SIZE = 250
# XLA:CPU runs convolution gradients inside a loop about 30x slower than unrolled (jax-ml/jax#12868),
# so small chunks are unrolled; long ones (whole epochs on accelerators) stay rolled to compile fast.
MAX_UNROLLED_STEPS = 16


def _stack(trees: list):
  """Trees of the same structure as one tree, each leaf stacked along a new leading axis."""
  return jax.tree.map(lambda *leaves: jnp.stack(leaves), *trees)


@dataclasses.dataclass(frozen=True)
class Config:
  """Everything that defines a run; written to `workdir/config.json` and checked on resume."""
  experiment: str
  data: str  # 'clocks', 'fashion_mnist' or 'cifar10'
  model: str
  representation: str
  model_options: dict = dataclasses.field(default_factory=dict)
  representation_options: dict = dataclasses.field(default_factory=dict)
  data_dir: str = ''  # clocks: '' renders the synthetic set; others: '' searches the default places
  num_examples: int = 0  # 0: all (synthetic clocks: 18,000); else the first N (of each split, for Task 1)
  image_size: int = clocks.IMAGE_SIZE  # clocks only: 150 or 75
  val_size: int = 0  # 0: the data set's default (clocks: 10% of train)
  fresh_data: bool = False  # clocks only: render a new training batch every step
  held_out_styles: bool = False  # synthetic clocks only: train on the seen dial styles, validate on unseen ones
  augment: bool = False  # Task 1 only: random horizontal flips and shifts of each training batch
  standardize: bool = False  # Task 1 only: pixels standardized with the training split's statistics
  optimizer: str = 'adam'
  learning_rate: float = 1e-4
  momentum: float = 0.0
  schedule: str = 'constant'  # or 'cosine': the learning rate decays to 0 over `epochs`
  epochs: int = 30
  batch_size: int = 32
  patience: int = 0  # early stopping: epochs without a better `monitor`; 0 turns it off
  monitor: str = 'val_loss'  # the validation metric that picks the best epoch; accuracies up, the rest down
  seed: int = 0
  num_seeds: int = 1  # seeds seed, seed + 1, ... trained side by side in one computation
  steps_per_call: int = 0  # 0: a whole epoch per call, or 1 for convnets on CPU
  dtype: str = 'float32'  # compute dtype; parameters stay float32
  init_from: str = ''  # a trained reader (workdir or saved file) whose weights start the run: fine-tuning

  @property
  def seeds(self) -> list[int]:
    return list(range(self.seed, self.seed + self.num_seeds))


class TrainState(flax.struct.PyTreeNode):
  step: jax.Array
  params: dict
  batch_stats: dict
  opt_state: optax.OptState
  rng: jax.Array  # a raw uint32 key; step keys are folded in from it, so resuming replays the same randomness


class TrainingDiverged(RuntimeError):
  """The loss became NaN or infinite; the last checkpoint holds the last finite state."""


class ConfigError(ValueError):
  """Settings that cannot run together, or a workdir that holds a different run."""


def make_optimizer(config: Config, steps_per_epoch: int) -> optax.GradientTransformation:
  """Optax optimizers with Keras' defaults where they differ, so results compare with the report."""
  if config.schedule == 'constant':
    learning_rate = config.learning_rate
  elif config.schedule == 'cosine':
    learning_rate = optax.cosine_decay_schedule(config.learning_rate, config.epochs * steps_per_epoch)
  else:
    raise ConfigError(f'unknown schedule {config.schedule!r}: use constant or cosine')
  if config.optimizer == 'sgd':
    return optax.sgd(learning_rate, momentum=config.momentum or None)
  if config.optimizer == 'adam':
    return optax.adam(learning_rate, eps=1e-7)
  if config.optimizer == 'nadam':
    return optax.nadam(learning_rate, eps=1e-7)
  if config.optimizer == 'adadelta':
    return optax.adadelta(learning_rate, rho=0.95, eps=1e-7)
  raise ConfigError(f'unknown optimizer {config.optimizer!r}: use sgd, adam, nadam or adadelta')


def load_data(config: Config) -> datasets.Splits:
  if config.data == 'clocks':
    return clocks.load_splits(config.data_dir, num_examples=config.num_examples, seed=config.seed,
                              image_size=config.image_size, val_size=config.val_size,
                              held_out_styles=config.held_out_styles)
  loaders = {'fashion_mnist': datasets.load_fashion_mnist, 'cifar10': datasets.load_cifar10}
  if config.data not in loaders:
    raise ConfigError(f'unknown data {config.data!r}: use clocks, fashion_mnist or cifar10')
  val_size = {'val_size': config.val_size} if config.val_size else {}
  splits = loaders[config.data](config.data_dir or None, seed=config.seed, **val_size)
  if config.num_examples:
    splits = datasets.Splits(*[(images[:config.num_examples], labels[:config.num_examples])
                               for images, labels in (splits.train, splits.val, splits.test)])
  return datasets.standardize(splits) if config.standardize else splits


def model_input(images, dtype=jnp.float32):
  """Stored images (uint8 or float in [0, 1], with or without a channel axis) as the model's NHWC input."""
  if images.dtype == jnp.uint8:
    images = images.astype(jnp.float32) / 255
  if images.ndim == 3:
    images = images[..., None]
  return images.astype(dtype)


class Trainer:
  """The jitted functions of one run: built once from the config, compiled once, used for every epoch.

  The run's `num_seeds` seeds train side by side: every leaf of the state has a leading seed axis, and each jitted
  function maps over it (`over_seeds`), so one call advances, shuffles or evaluates every seed at once.
  """

  def __init__(self, config: Config, input_shape: tuple[int, ...], steps_per_epoch: int):
    self.config = config
    self.representation = representations.build(config.representation, **config.representation_options)
    self.dtype = jnp.dtype(config.dtype)
    self.model = models.build(config.model, self.representation.num_outputs, dtype=self.dtype,
                              **config.model_options)
    self.optimizer = make_optimizer(config, steps_per_epoch)
    self.input_shape = input_shape
    # Data parallelism: every device holds the data and the state; each step's batch is split along `data`.
    self.mesh = jax.make_mesh((jax.device_count(),), ('data',), axis_types=(jax.sharding.AxisType.Auto,))
    self.replicated = NamedSharding(self.mesh, P())
    if config.batch_size % jax.device_count():
      raise ConfigError(f'batch size {config.batch_size} does not divide by the {jax.device_count()} devices')
    self.train_chunk = jax.jit(self._train_chunk, donate_argnums=0, static_argnames='unroll',
                               out_shardings=self.replicated)
    self.eval_batch = jax.jit(self._eval_batch, out_shardings=self.replicated)
    self.epoch_order = jax.jit(self._epoch_order, static_argnums=(1, 2, 3),
                               out_shardings=NamedSharding(self.mesh, P(None, None, 'data')))
    self.keep_best = jax.jit(_keep_best, out_shardings=self.replicated)

  def init_state(self, variables: dict | None = None) -> TrainState:
    """Every seed's initial state; with `variables` (one seed's params and batch_stats: a trained reader's, for
    fine-tuning), every seed starts from those weights instead of a random initialization."""
    seeds = jnp.array(self.config.seeds)
    if variables is None:
      return jax.jit(self.over_seeds(self._init_state), out_shardings=self.replicated)(seeds)
    fresh = jax.eval_shape(self.init_state)
    for name in ('params', 'batch_stats'):
      wanted = jax.tree.map(lambda x: x.shape[1:], getattr(fresh, name))
      given = jax.tree.map(lambda x: np.shape(x), variables.get(name, {}))
      if jax.tree.structure(wanted) != jax.tree.structure(given) or wanted != given:
        raise ConfigError(f'the initial {name} do not fit this model: a reader of another trunk or head')
    per_seed = jax.tree.map(lambda x: np.broadcast_to(x, (len(self.config.seeds), *np.shape(x))), variables)
    return jax.jit(self.over_seeds(self._init_state), out_shardings=self.replicated)(seeds, per_seed)

  def over_seeds(self, one_seed):
    """`one_seed`, a function of one seed's arrays, applied along their leading seed axis.

    Accelerators vmap the seeds: several small models fill them better than one. On CPU each seed is traced in
    turn and the results stacked, so that every seed computes exactly what it would alone. Vmapped, XLA:CPU runs
    the convolutions grouped (three Géron CNNs trained 1.4x slower than three single runs) and copies every dot's
    weight gradient out of a transposed layout each step.
    """
    if self.config.num_seeds > 1 and jax.default_backend() != 'cpu':
      return jax.vmap(one_seed)

    def seed_by_seed(*args):
      outputs = [one_seed(*jax.tree.map(lambda x: x[i], args)) for i in range(self.config.num_seeds)]
      return _stack(outputs)
    return seed_by_seed

  def put(self, tree):
    """Host arrays onto every device; each process supplies its own devices' copies (works across hosts)."""
    return jax.tree.map(
        lambda x: jax.make_array_from_callback(x.shape, self.replicated, lambda index: x[index]), tree)

  def _epoch_order(self, state, num_examples, num_chunks, chunk):
    """The current epoch's shuffled example indices: for each call, (seeds, steps per call, batch).

    Drawn on the device from each seed's key and the epoch number (from the step count, also mid-epoch), so the
    host sends nothing and a resumed epoch repeats its order.
    """
    def one_seed(state):
      epoch = state.step // (num_chunks * chunk)
      shuffle_key = jax.random.split(state.rng)[0]  # a key of its own, apart from the per-step keys
      order = jax.random.permutation(jax.random.fold_in(shuffle_key, epoch), num_examples)
      return order[:num_chunks * chunk * self.config.batch_size].reshape(num_chunks, chunk, self.config.batch_size)

    order = self.over_seeds(one_seed)(state)
    return [order[:, i] for i in range(num_chunks)]  # one array per call: indexing on the host would send the index

  def _init_state(self, seed, variables=None) -> TrainState:
    init_rng, dropout_rng, rng = jax.random.split(jax.random.PRNGKey(seed), 3)
    if variables is None:
      dummy = jnp.zeros((1, *self.input_shape), self.dtype)
      variables = self.model.init({'params': init_rng, 'dropout': dropout_rng}, dummy, train=False)
    params = variables['params']
    return TrainState(step=jnp.zeros((), jnp.int32), params=params,
                      batch_stats=variables.get('batch_stats', {}), opt_state=self.optimizer.init(params), rng=rng)

  def _batch(self, data, indices, key):
    """The training batch for one step: gathered from the stored set, or freshly rendered clocks."""
    if self.config.fresh_data:
      label_key, render_key = jax.random.split(key)
      labels = render.random_labels(label_key, indices.shape[0])
      styles = 'seen' if self.config.held_out_styles else 'all'
      return render.render_clocks(render_key, labels, self.config.image_size, styles=styles), labels
    images, labels = data
    images, labels = images[indices], labels[indices]
    if self.config.augment:
      images = datasets.flip_and_shift(key, images)
    return images, labels

  def train_step(self, state: TrainState, data, indices):
    """One optimizer step of one seed on the examples at `indices`; the new state and the batch's mean metrics."""
    step_rng = jax.random.fold_in(state.rng, state.step)
    data_rng, dropout_rng = jax.random.split(step_rng)
    images, labels = self._batch(data, indices, data_rng)

    def loss_fn(params):
      outputs, updates = self.model.apply(
          {'params': params, 'batch_stats': state.batch_stats}, model_input(images, self.dtype), train=True,
          rngs={'dropout': dropout_rng}, mutable=['batch_stats'])
      losses = self.representation.loss(outputs, labels)
      return jnp.mean(losses), (outputs, updates.get('batch_stats', {}))

    (loss, (outputs, batch_stats)), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.params)
    updates, opt_state = self.optimizer.update(grads, state.opt_state, state.params)
    metrics = {name: jnp.mean(value) for name, value in self.representation.metrics(outputs, labels).items()}
    state = state.replace(step=state.step + 1, params=optax.apply_updates(state.params, updates),
                          batch_stats=batch_stats, opt_state=opt_state)
    return state, {'loss': loss, **metrics}

  def _train_chunk(self, state, data, indices, unroll):
    """Every seed's steps over its rows of `indices`: a rolled `lax.scan`, or the steps traced one after another."""
    def one_seed(state, indices):
      if not unroll:
        return jax.lax.scan(lambda s, i: self.train_step(s, data, i), state, indices)
      metrics = []
      for row in indices:  # not scan(unroll=True): XLA:CPU keeps that a loop, and runs it just as slowly
        state, step_metrics = self.train_step(state, data, row)
        metrics.append(step_metrics)
      return state, _stack(metrics)

    return self.over_seeds(one_seed)(state, indices)

  def _eval_batch(self, state, images, labels):
    def one_seed(state):
      outputs = self.model.apply({'params': state.params, 'batch_stats': state.batch_stats},
                                 model_input(images, self.dtype), train=False)
      return {'loss': self.representation.loss(outputs, labels), **self.representation.metrics(outputs, labels),
              'outputs': outputs}

    return self.over_seeds(one_seed)(state)

  def put_eval(self, images: np.ndarray, labels: np.ndarray):
    """A split on the devices, padded to whole evaluation batches, with its true length."""
    pad = -len(images) % EVAL_BATCH_SIZE
    padded = [np.concatenate([a, np.zeros((pad, *a.shape[1:]), a.dtype)]) for a in (images, labels)]
    return self.put(padded), len(images)

  def evaluate(self, state, split) -> dict[str, np.ndarray]:
    """Per-example losses, metrics and raw outputs over a split from `put_eval`, in fixed-size batches: each
    (seeds, examples, ...)."""
    (images, labels), num = split
    batches = [self.eval_batch(state, images[i:i + EVAL_BATCH_SIZE], labels[i:i + EVAL_BATCH_SIZE])
               for i in range(0, len(images), EVAL_BATCH_SIZE)]
    return {name: np.concatenate([np.asarray(b[name]) for b in batches], axis=1)[:, :num] for name in batches[0]}


def _keep_best(best: TrainState, state: TrainState, improved: jax.Array) -> TrainState:
  """Each seed's state where it improved, else its best so far: the state to keep as 'best'."""
  return jax.tree.map(lambda b, s: jnp.where(improved.reshape((-1,) + (1,) * (s.ndim - 1)), s, b), best, state)


class ProgressBar:
  """An in-place `done/total` line on a terminal for epochs longer than a few seconds; silent elsewhere.

  It redraws at most twice a second, waiting on the newest chunk's metrics so that it shows computed steps,
  not merely dispatched ones.
  """

  def __init__(self, label: str, total: int):
    self.label, self.total, self.done = label, total, 0
    self.start = self.drawn = time.perf_counter()
    self.enabled = sys.stderr.isatty()

  def update(self, metrics) -> None:
    self.done += 1
    now = time.perf_counter()
    if not self.enabled or now - self.drawn < 0.5:
      return
    jax.block_until_ready(metrics)
    self.drawn = now
    if now - self.start > 3:
      rate = self.done / (now - self.start)
      print(f'\r{self.label}: {self.done}/{self.total} calls, {(self.total - self.done) / rate:.0f} s left ',
            end='', file=sys.stderr, flush=True)

  def close(self) -> None:
    if self.enabled and self.drawn - self.start > 3:
      print('\r\033[K', end='', file=sys.stderr, flush=True)


def summarize(per_example: dict[str, np.ndarray], prefix: str = '') -> dict[str, float]:
  """Means of every per-example metric, plus the median and 90th percentile of the common-sense error."""
  summary = {f'{prefix}{name}': float(np.mean(values)) for name, values in per_example.items() if name != 'outputs'}
  if 'cse_minutes' in per_example:
    summary[f'{prefix}cse_median_minutes'] = float(np.median(per_example['cse_minutes']))
    summary[f'{prefix}cse_p90_minutes'] = float(np.percentile(per_example['cse_minutes'], 90))
  return summary


def steps_per_call(config: Config, steps_per_epoch: int, model) -> int:
  """Steps per jitted call: the requested number, rounded down to a divisor of the epoch so all calls match."""
  requested = config.steps_per_call
  if not requested:
    has_conv = not isinstance(model, models.MLP)
    requested = 1 if has_conv and jax.default_backend() == 'cpu' else steps_per_epoch
  return max(d for d in range(1, min(requested, steps_per_epoch) + 1) if steps_per_epoch % d == 0)


def _as_json(config: Config) -> dict:
  return json.loads(json.dumps(dataclasses.asdict(config)))  # as config.json reads back: tuples become lists


def check_workdir(config: Config, workdir: str) -> None:
  """Refuses a workdir that already holds a run with other settings."""
  path = os.path.join(workdir, 'config.json')
  wanted = _as_json(config)
  if os.path.exists(path):
    with open(path) as f:
      stored = json.load(f)
    # A field added to Config since the stored run was made held its default there.
    defaults = {f.name: f.default for f in dataclasses.fields(Config) if f.default is not dataclasses.MISSING}
    differing = sorted(k for k in set(stored) | set(wanted)
                       if k not in RESUMABLE_FIELDS and stored.get(k, defaults.get(k)) != wanted.get(k))
    if differing:
      raise ConfigError(f'{workdir} holds a run with other settings ({", ".join(differing)} differ); '
                            'use a new --workdir or the same flags')


def _log(message: str) -> None:
  if is_main_process():
    print(message, flush=True)


def train_and_evaluate(config: Config, workdir: str, flags_text: str = '', init_variables: dict | None = None) -> dict:
  """Trains (resuming from the workdir's latest checkpoint), evaluates the best epoch on test, writes results.

  `flags_text`, the command line's flags, is kept in workdir/flags.txt beside config.json. SIGTERM saves the
  state mid-epoch and raises `Preempted`; the same call then resumes from that very step. With several seeds
  (`config.num_seeds`) each stops early on its own, and gets workdir/seed_<seed>/ for its metrics.jsonl,
  results.json and plots; workdir/results.json then holds every metric's mean and standard deviation.
  `init_variables` (the weights of `config.init_from`) start a new run; a resumed one continues its own.
  """
  workdir = os.path.abspath(workdir)
  check_workdir(config, workdir)
  splits = load_data(config)
  num_train = len(splits.train[0])
  steps_per_epoch = num_train // config.batch_size
  if steps_per_epoch == 0:
    raise ConfigError(f'batch size {config.batch_size} is larger than the {num_train} training examples')
  trainer = Trainer(config, model_input(splits.train[0][:1]).shape[1:], steps_per_epoch)
  _check_monitor(trainer, splits.val[1])
  # Written once the settings are known to run: a mistake leaves no config.json to refuse its correction.
  os.makedirs(workdir, exist_ok=True)
  if is_main_process():
    files.write_json(os.path.join(workdir, 'config.json'), _as_json(config))
    files.write_text(os.path.join(workdir, 'flags.txt'), flags_text)
    files.write_json(os.path.join(workdir, 'versions.json'), package_versions())
  chunk = steps_per_call(config, steps_per_epoch, trainer.model)
  num_chunks = steps_per_epoch // chunk
  train_data = None if config.fresh_data else trainer.put(splits.train)
  val_split = trainer.put_eval(*splits.val)
  seeds = config.seeds
  seed_dirs = [workdir] if len(seeds) == 1 else [os.path.join(workdir, f'seed_{seed}') for seed in seeds]

  state = trainer.init_state(init_variables)
  best_state = None  # each seed's state at its best `config.monitor`
  num_params = sum(x.size for x in jax.tree.leaves(state.params)) // len(seeds)
  progress = {'epoch': 0, 'chunks_done': 0, 'epoch_metrics': {}, 'epoch_seconds': 0.0,
              'history': [[] for _ in seeds], 'best_monitored': [None for _ in seeds],
              'best_epoch': [0 for _ in seeds], 'train_seconds': 0.0}
  with checkpoints.Checkpoints(workdir) as ckpt, _SigtermFlag() as preempted:
    restored = ckpt.restore('latest', state)
    if restored:
      state, saved_progress = restored
      if 'best_val_loss' in saved_progress:  # saved before `monitor` existed, when it was always val_loss
        saved_progress['best_monitored'] = saved_progress.pop('best_val_loss')
      progress.update(saved_progress)  # over the defaults: checkpoints from before a new field still resume
      restored_best = ckpt.restore('best', state)  # none yet when the first epoch was cut
      best_state = restored_best[0] if restored_best else None
      _log(f'resumed from {workdir} at epoch {progress["epoch"]} + {progress["chunks_done"]} of {num_chunks} calls')
    _log(f'{config.experiment}: {num_params:,} parameters, {num_train} train / {val_split[1]} val / '
         f'{len(splits.test[0])} test examples, {steps_per_epoch} steps of {config.batch_size} per epoch '
         f'({chunk} per call) on {jax.device_count()} x {jax.devices()[0].device_kind}'
         + (f', {len(seeds)} seeds side by side' if len(seeds) > 1 else ''))

    while progress['epoch'] < config.epochs and any(active := _active_seeds(config, progress)):
      epoch = progress['epoch'] + 1
      start = time.perf_counter() - progress['epoch_seconds']
      order = trainer.epoch_order(state, num_train, num_chunks, chunk)
      chunk_metrics = []
      progress_bar = ProgressBar(f'epoch {epoch}', num_chunks)
      for index in range(progress['chunks_done'], num_chunks):
        state, metrics = trainer.train_chunk(state, train_data, order[index], unroll=chunk <= MAX_UNROLLED_STEPS)
        chunk_metrics.append(metrics)
        progress_bar.update(metrics)
        if preempted.is_set():
          progress.update(chunks_done=index + 1, epoch_metrics=_join_metrics(progress, chunk_metrics),
                          epoch_seconds=time.perf_counter() - start)
          ckpt.save('latest', int(state.step[0]), state, progress)
          raise Preempted(f'stopped by SIGTERM at step {int(state.step[0])}, saved; rerun the same command to resume')
      progress_bar.close()
      step_metrics = _join_metrics(progress, chunk_metrics)
      _check_finite(step_metrics['loss'], progress['epoch'] * steps_per_epoch, active, seeds)
      seconds = time.perf_counter() - start
      val = [summarize(outputs, 'val_') for outputs in _per_seed(trainer.evaluate(state, val_split))]
      improved = [is_active and _better(config.monitor, v[config.monitor], best)
                  for is_active, v, best in zip(active, val, progress['best_monitored'])]
      for s in np.flatnonzero(active):
        progress['history'][s].append({'epoch': epoch, **{f'train_{k}': float(np.mean(v[s])) for k, v in
                                                          step_metrics.items()}, **val[s], 'epoch_seconds': seconds})
      for s in np.flatnonzero(improved):
        progress['best_monitored'][s], progress['best_epoch'][s] = val[s][config.monitor], epoch
      progress.update(epoch=epoch, chunks_done=0, epoch_metrics={}, epoch_seconds=0.0,
                      train_seconds=progress['train_seconds'] + seconds)
      if any(improved):
        best_state = trainer.keep_best(state if best_state is None else best_state, state, np.array(improved))
        ckpt.save('best', int(state.step[0]), best_state, progress)
      ckpt.save('latest', int(state.step[0]), state, progress)
      _log(_epoch_line([progress['history'][s][-1] for s in np.flatnonzero(active)], config.epochs, any(improved)))
      if is_main_process():  # rewritten whole from the checkpointed history: a resume never repeats a line
        for seed_dir, history in zip(seed_dirs, progress['history']):
          os.makedirs(seed_dir, exist_ok=True)
          files.write_text(os.path.join(seed_dir, 'metrics.jsonl'), ''.join(json.dumps(r) + '\n' for r in history))

  test_outputs = _per_seed(trainer.evaluate(best_state, trainer.put_eval(*splits.test)))
  return _write_results(config, workdir, seed_dirs, progress, test_outputs, num_params)


def _write_results(config: Config, workdir: str, seed_dirs: list[str], progress: dict,
                   test_outputs: list[dict[str, np.ndarray]], num_params: int) -> dict:
  """Each seed's results.json and plots from its best epoch; with several seeds, their mean and spread too."""
  seeds = config.seeds
  runs = []
  for s, (seed, seed_dir, history) in enumerate(zip(seeds, seed_dirs, progress['history'])):
    best_record = history[progress['best_epoch'][s] - 1]
    runs.append({**summarize(test_outputs[s], 'test_'),
                 **{k: v for k, v in best_record.items() if k.startswith('val_')},
                 'epochs': len(history), 'best_epoch': progress['best_epoch'][s],
                 'train_seconds': progress['train_seconds'], 'num_params': num_params,
                 'device': f'{jax.device_count()} x {jax.devices()[0].device_kind}',
                 'config': dataclasses.asdict(dataclasses.replace(config, seed=seed))})
    if is_main_process():
      files.write_json(os.path.join(seed_dir, 'results.json'), runs[-1])
      plots.learning_curves(os.path.join(seed_dir, 'plots', 'learning_curves.png'), history)
      if 'cse_minutes' in test_outputs[s]:
        plots.error_histogram(os.path.join(seed_dir, 'plots', 'cse_histogram.png'), test_outputs[s]['cse_minutes'])
  if len(seeds) == 1:
    _log('test: ' + '  '.join(f'{k[5:]} {v:.4g}' for k, v in runs[0].items() if k.startswith('test_')))
    return runs[0]
  summary = {'seeds': seeds, 'device': runs[0]['device'], 'config': dataclasses.asdict(config)}
  for key, value in runs[0].items():
    if isinstance(value, (int, float)):
      values = [run[key] for run in runs]
      summary[key], summary[f'{key}_std'] = float(np.mean(values)), float(np.std(values))
  if is_main_process():
    files.write_json(os.path.join(workdir, 'results.json'), summary)
  _log(f'{len(seeds)} seeds: ' + '  '.join(f'{k[5:]} {summary[k]:.4g} ± {summary[k + "_std"]:.2g}'
                                          for k in summary if k.startswith('test_') and not k.endswith('_std')))
  return summary


class Preempted(RuntimeError):
  """SIGTERM arrived; the state was saved at the current step."""


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


def _join_metrics(progress: dict, chunk_metrics: list) -> dict[str, list[list[float]]]:
  """Each seed's per-step metrics of the epoch so far: those saved before a preemption, then this session's."""
  joined = {k: [list(values) for values in v] for k, v in progress['epoch_metrics'].items()}
  for metrics in chunk_metrics:
    for k, v in metrics.items():
      v = np.asarray(v)  # (seeds, steps)
      for values, new in zip(joined.setdefault(k, [[] for _ in v]), v):
        values.extend(new.tolist())
  return joined


def _per_seed(per_example: dict[str, np.ndarray]) -> list[dict[str, np.ndarray]]:
  return [{k: v[s] for k, v in per_example.items()} for s in range(len(per_example['loss']))]


def is_main_process() -> bool:
  """Only process 0 writes logs, plots and results; every process takes part in checkpoints."""
  return jax.process_index() == 0


def package_versions() -> dict[str, str]:
  import importlib.metadata  # pylint: disable=g-import-not-at-top
  names = ('jax', 'jaxlib', 'flax', 'optax', 'orbax-checkpoint', 'numpy')
  return {'python': sys.version.split()[0], **{name: importlib.metadata.version(name) for name in names}}


def _check_monitor(trainer: Trainer, labels: np.ndarray) -> None:
  """Refuses a `monitor` that the validation summary will not have, before any training."""
  num_outputs = trainer.representation.num_outputs
  names = jax.eval_shape(trainer.representation.metrics, jax.ShapeDtypeStruct((1, num_outputs), jnp.float32),
                         jax.ShapeDtypeStruct((1, *labels.shape[1:]), labels.dtype))
  known = summarize({'loss': np.zeros(1), **{name: np.zeros(1) for name in names}}, 'val_')
  if trainer.config.monitor not in known:
    raise ConfigError(f'cannot monitor {trainer.config.monitor!r}: this run validates {", ".join(known)}')


def _better(monitor: str, value: float, best: float | None) -> bool:
  if best is None:
    return True
  return value > best if monitor.endswith('accuracy') else value < best


def _active_seeds(config: Config, progress: dict) -> list[bool]:
  """Which seeds still train: early stopping ends each on its own (the others carry on)."""
  return [not config.patience or progress['epoch'] - best < config.patience for best in progress['best_epoch']]


def _check_finite(losses: list[list[float]], first_step: int, active: list[bool], seeds: list[int]) -> None:
  for seed_losses, is_active, seed in zip(np.asarray(losses), active, seeds):
    bad = np.flatnonzero(~np.isfinite(seed_losses))
    if is_active and bad.size:
      which = f' (seed {seed})' if len(seeds) > 1 else ''
      raise TrainingDiverged(f'loss became {seed_losses[bad[0]]} at step {first_step + bad[0] + 1}{which}; the last '
                             'checkpoint keeps the last finite state: lower --learning_rate and rerun')


def _epoch_line(records: list[dict], epochs: int, improved: bool) -> str:
  """The epoch's line: its record, or with several seeds still training, their mean."""
  record = {k: float(np.mean([r[k] for r in records])) for k in records[0]}
  shown = [k for k in record if k.startswith(('train_', 'val_')) and not k.endswith(('median_minutes', 'p90_minutes'))]
  seeds = f'  (mean of {len(records)} seeds)' if len(records) > 1 else ''
  return (f'epoch {records[0]["epoch"]}/{epochs}  ' + '  '.join(f'{k} {record[k]:.4g}' for k in shown)
          + f'  ({record["epoch_seconds"]:.1f} s){"  *" if improved else ""}{seeds}')
