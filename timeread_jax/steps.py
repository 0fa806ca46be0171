"""The jitted computations of a run: the training state, one optimizer step, the chunks of steps, evaluation.

Built once from the config (`build.network` and an optimizer) and compiled once. Data parallel over a mesh of every
device with one axis, `data`: the state is replicated, every step's batch (and every evaluation batch) is split
along `data`, and XLA all-reduces the gradients, so N devices compute what one does. Every leaf of the state has a
leading seed axis (`over_seeds`), so one call advances, shuffles or evaluates every seed of a run at once.
"""
import jax
import jax.numpy as jnp
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P
import flax.struct
import numpy as np
import optax

from timeread_jax import build
from timeread_jax import sources
from timeread_jax.config import Config
from timeread_jax.errors import ConfigError

EVAL_BATCH_SIZE = 256  # rounded up to a multiple of the device count
# XLA:CPU runs convolution gradients inside a loop far slower than unrolled (jax-ml/jax#12868), so small chunks are
# unrolled; long ones (whole epochs on accelerators) stay rolled to compile fast.
MAX_UNROLLED_STEPS = 16


def stack(trees: list):
  """Trees of the same structure as one tree, each leaf stacked along a new leading axis."""
  return jax.tree.map(lambda *leaves: jnp.stack(leaves), *trees)


class TrainState(flax.struct.PyTreeNode):
  step: jax.Array
  params: dict
  batch_stats: dict
  opt_state: optax.OptState
  rng: jax.Array  # a raw uint32 key; step keys are folded in from it, so resuming replays the same randomness


def make_optimizer(config: Config, steps_per_epoch: int) -> optax.GradientTransformation:
  """Optax optimizers with Keras' defaults where they differ, so results compare with the report; with
  `config.head_only_epochs`, one that leaves all but the model's `head` still over those epochs."""
  optimizer = _optimizer(config, steps_per_epoch)
  if not config.head_only_epochs:
    return optimizer
  # Linear probing before fine-tuning: a new head's first, large gradients can undo some of what a trained trunk
  # knows. The trunk's moments gather meanwhile, so it starts moving on measured ones.
  held_steps = config.head_only_epochs * steps_per_epoch
  trunk = optax.chain(_optimizer(config, steps_per_epoch),
                      optax.scale_by_schedule(lambda step: (step >= held_steps).astype(jnp.float32)))
  return optax.multi_transform(
      {'head': optimizer, 'trunk': trunk},
      lambda params: {name: jax.tree.map(lambda _: 'head' if name == 'head' else 'trunk', tree)
                      for name, tree in params.items()})


def cosine_schedule(config: Config, steps_per_epoch: int) -> optax.Schedule:
  """The learning rate decaying to 0 over `config.epochs` along a cosine, or along `config.cycles` of them, each
  restarting at `config.cycle_decay` of the last one's peak: warm restarts, which the shipped reader's hand-chained
  stages were, in one run."""
  length = config.epochs // config.cycles * steps_per_epoch
  cycles = [optax.cosine_decay_schedule(config.learning_rate * config.cycle_decay ** cycle, length)
            for cycle in range(config.cycles)]
  return optax.join_schedules(cycles, [length * cycle for cycle in range(1, config.cycles)])


def _optimizer(config: Config, steps_per_epoch: int) -> optax.GradientTransformation:
  if config.schedule == 'constant':
    learning_rate = config.learning_rate
  elif config.schedule == 'cosine':
    learning_rate = cosine_schedule(config, steps_per_epoch)
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


class Steps:
  """The jitted functions of one run: built once from the config, compiled once, used for every epoch.

  The run's `num_seeds` seeds train side by side: every leaf of the state has a leading seed axis, and each jitted
  function maps over it (`over_seeds`), so one call advances, shuffles or evaluates every seed at once.
  """

  def __init__(self, config: Config, steps_per_epoch: int):
    self.config = config
    self.network = build.network(config)
    self.model, self.representation = self.network.model, self.network.representation
    self.dtype = jnp.dtype(config.dtype)
    self.optimizer = make_optimizer(config, steps_per_epoch)
    self.source = sources.batch_source(config, steps_per_epoch)
    # Data parallelism: every device holds the data and the state; each step's batch is split along `data`.
    self.mesh = jax.make_mesh((jax.device_count(),), ('data',), axis_types=(jax.sharding.AxisType.Auto,))
    self.replicated = NamedSharding(self.mesh, P())
    if config.batch_size % jax.device_count():
      raise ConfigError(f'batch size {config.batch_size} does not divide by the {jax.device_count()} devices')
    self.eval_batch_size = -(-EVAL_BATCH_SIZE // jax.device_count()) * jax.device_count()
    self.train_chunk = jax.jit(self._train_chunk, donate_argnums=0, static_argnames='unroll',
                               out_shardings=self.replicated)
    self.eval_batch = jax.jit(self._eval_batch, out_shardings=self.replicated)
    self.epoch_order = jax.jit(self._epoch_order, static_argnums=(1, 2, 3),
                               out_shardings=NamedSharding(self.mesh, P(None, None, 'data')))
    self.keep_best = jax.jit(_keep_best, out_shardings=self.replicated)

  def init_state(self, variables: dict | None = None) -> TrainState:
    """Every seed's initial state; with `variables` (one seed's params and batch_stats: a trained reader's, for
    fine-tuning), every seed starts from those weights instead of a random initialization. Top-level modules
    that `variables` lacks (the head, for a reader's trunk alone) start as initialized."""
    seeds = jnp.array(self.config.seeds)
    if variables is None:
      return jax.jit(self.over_seeds(self._init_state), out_shardings=self.replicated)(seeds)
    fresh = jax.eval_shape(self.init_state)
    for name in ('params', 'batch_stats'):
      wanted = jax.tree.map(lambda x: x.shape[1:], getattr(fresh, name))
      given = jax.tree.map(lambda x: np.shape(x), variables.get(name, {}))
      if not set(given) <= set(wanted) or any(given[module] != wanted[module] for module in given):
        raise ConfigError(f'the initial {name} do not fit this model: a reader of another trunk or head')
    per_seed = jax.tree.map(lambda x: np.broadcast_to(x, (len(self.config.seeds), *np.shape(x))), variables)
    return jax.jit(self.over_seeds(self._init_state), out_shardings=self.replicated)(seeds, per_seed)

  def over_seeds(self, one_seed):
    """`one_seed`, a function of one seed's arrays, applied along their leading seed axis.

    Accelerators vmap the seeds: several small models fill them better than one. On CPU each seed is traced in
    turn and the results stacked, so that every seed computes exactly what it would alone. Vmapped, XLA:CPU runs
    the convolutions grouped (slower than the single runs: docs/speed.md) and copies every dot's
    weight gradient out of a transposed layout each step.
    """
    if self.config.num_seeds > 1 and jax.default_backend() != 'cpu':
      return jax.vmap(one_seed)

    def seed_by_seed(*args):
      outputs = [one_seed(*jax.tree.map(lambda x: x[i], args)) for i in range(self.config.num_seeds)]
      return stack(outputs)
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
    initialized = self.network.init({'params': init_rng, 'dropout': dropout_rng})
    given = variables or {}
    params = {**initialized['params'], **given.get('params', {})}
    batch_stats = {**initialized['batch_stats'], **given.get('batch_stats', {})}
    return TrainState(step=jnp.zeros((), jnp.int32), params=params, batch_stats=batch_stats,
                      opt_state=self.optimizer.init(params), rng=rng)

  def split_batch(self, tree):
    """Each example's arrays split along `data`: every device computes (and for fresh clocks, renders) its own
    share of the batch."""
    return jax.tree.map(lambda x: jax.lax.with_sharding_constraint(x, NamedSharding(self.mesh, P('data'))), tree)

  def gradients(self, state: TrainState, data, indices):
    """One seed's step before its update: (loss, outputs, labels, new batch_stats) and the gradients, on the batch
    at `indices` of the step the state is at."""
    step_rng = jax.random.fold_in(state.rng, state.step)
    data_rng, dropout_rng = jax.random.split(step_rng)
    images, labels = self.split_batch(self.source.batch(data, indices, data_rng, state.step))

    def loss_fn(params):
      outputs, updates = self.model.apply(
          {'params': params, 'batch_stats': state.batch_stats}, build.model_input(images, self.dtype), train=True,
          rngs={'dropout': dropout_rng}, mutable=['batch_stats'])
      losses = self.representation.loss(outputs, labels)
      return jnp.mean(losses), (outputs, labels, updates.get('batch_stats', {}))

    (loss, (outputs, labels, batch_stats)), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.params)
    return (loss, outputs, labels, batch_stats), grads

  def train_step(self, state: TrainState, data, indices):
    """One optimizer step of one seed on the examples at `indices`; the new state and the batch's mean metrics."""
    (loss, outputs, labels, batch_stats), grads = self.gradients(state, data, indices)
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
      return state, stack(metrics)

    return self.over_seeds(one_seed)(state, indices)

  def _eval_batch(self, state, images, labels):
    images, labels = self.split_batch((images, labels))

    def one_seed(state):
      outputs = self.model.apply({'params': state.params, 'batch_stats': state.batch_stats},
                                 build.model_input(images, self.dtype), train=False)
      return {'loss': self.representation.loss(outputs, labels), **self.representation.metrics(outputs, labels),
              'outputs': outputs}

    return self.over_seeds(one_seed)(state)

  def put_eval(self, images: np.ndarray, labels: np.ndarray):
    """A split on the devices, padded to whole evaluation batches, with its true length."""
    pad = -len(images) % self.eval_batch_size
    padded = [np.concatenate([a, np.zeros((pad, *a.shape[1:]), a.dtype)]) for a in (images, labels)]
    return self.put(padded), len(images)

  def evaluate(self, state, split) -> dict[str, np.ndarray]:
    """Per-example losses, metrics and raw outputs over a split from `put_eval`, in fixed-size batches: each
    (seeds, examples, ...)."""
    (images, labels), num = split
    size = self.eval_batch_size
    batches = [self.eval_batch(state, images[i:i + size], labels[i:i + size]) for i in range(0, len(images), size)]
    return {name: np.concatenate([np.asarray(b[name]) for b in batches], axis=1)[:, :num] for name in batches[0]}


def _keep_best(best: TrainState, state: TrainState, improved: jax.Array) -> TrainState:
  """Each seed's state where it improved, else its best so far: the state to keep as 'best'."""
  return jax.tree.map(lambda b, s: jnp.where(improved.reshape((-1,) + (1,) * (s.ndim - 1)), s, b), best, state)


def steps_per_call(config: Config, steps_per_epoch: int, network: build.Network) -> int:
  """Steps per jitted call: the requested number, rounded down to a divisor of the epoch so all calls match.

  By default a whole epoch, but one step for a convolutional model on CPU, where XLA runs convolution gradients
  inside a loop far slower than unrolled (jax-ml/jax#12868).
  """
  requested = config.steps_per_call
  if not requested:
    requested = 1 if network.convolutional and jax.default_backend() == 'cpu' else steps_per_epoch
  return max(d for d in range(1, min(requested, steps_per_epoch) + 1) if steps_per_epoch % d == 0)


