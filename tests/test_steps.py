"""The jitted computations: one step, chunks of steps, donation, no hidden copies, and N devices computing what
one device computes (ClockNet, with batch norm, stored and fresh clocks)."""
import dataclasses
import json
import os
import subprocess
import sys

import jax
import numpy as np
import optax
import pytest

from timeread_jax import build
from timeread_jax import datasets
from timeread_jax import steps as steps_lib
from timeread_jax.steps import make_optimizer
from timeread_jax.steps import Steps
from timeread_jax.steps import steps_per_call


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_cosine_schedule_decays_the_rate_to_zero_over_the_epochs(small_config):
  config = small_config('', optimizer='sgd', learning_rate=1.0, schedule='cosine', epochs=2)
  optimizer = make_optimizer(config, steps_per_epoch=5)
  params = {'w': np.zeros(())}
  state = optimizer.init(params)
  rates = []
  for _ in range(11):
    updates, state = optimizer.update({'w': np.ones(())}, state, params)
    rates.append(-float(updates['w']))
  assert rates[0] == pytest.approx(1) and rates[5] == pytest.approx(0.5) and rates[10] == pytest.approx(0, abs=1e-6)


def test_cosine_cycles_restart_the_decay_at_a_lower_peak_each_time(small_config):
  config = small_config('', optimizer='sgd', learning_rate=1.0, schedule='cosine', epochs=6, cycles=3,
                        cycle_decay=0.5)
  rates = np.asarray(steps_lib.cosine_schedule(config, steps_per_epoch=2)(np.arange(12)))
  cycle = np.asarray(optax.cosine_decay_schedule(1.0, 4)(np.arange(4)))
  np.testing.assert_allclose(rates, np.concatenate([cycle, cycle / 2, cycle / 4]), rtol=1e-6)


def test_head_only_epochs_hold_all_but_the_head_still_then_train_both(small_config):
  config = small_config('', optimizer='sgd', learning_rate=1.0, init_from='reader.msgpack', fresh_head=True,
                   head_only_epochs=1)
  optimizer = make_optimizer(config, steps_per_epoch=2)
  params = {'Conv_0': {'kernel': np.zeros(2)}, 'head': {'kernel': np.zeros(2), 'bias': np.zeros(())}}
  grads = jax.tree.map(np.ones_like, params)
  state = optimizer.init(params)
  for step in range(3):
    updates, state = optimizer.update(grads, state, params)
    np.testing.assert_allclose(updates['head']['kernel'], -1)
    np.testing.assert_allclose(updates['Conv_0']['kernel'], 0 if step < 2 else -1)


@pytest.mark.parametrize('requested, steps, on_cpu_conv, expected', [
    (0, 12, False, 12), (0, 12, True, 1), (5, 12, False, 4), (7, 7, False, 7), (100, 12, False, 12), (4, 13, True, 1)])
def test_steps_per_call_divides_the_epoch(small_config, monkeypatch, requested, steps, on_cpu_conv, expected):
  monkeypatch.setattr(steps_lib.jax, 'default_backend', lambda: 'cpu')
  config = dataclasses.replace(small_config(''), steps_per_call=requested, **(
      {} if on_cpu_conv else {'model': 'mlp', 'model_options': {'hidden': (8,)}}))
  assert steps_per_call(config, steps, build.network(config)) == expected


def _trainer_with_data(small_config, clock_dir):
  config = small_config(clock_dir)
  splits = datasets.load_splits(config)
  num_train = len(splits.train[0])
  steps = num_train // config.batch_size
  trainer = Steps(config, steps)
  return trainer, trainer.init_state(), trainer.put(splits.train), steps, num_train


def test_an_epoch_makes_no_host_device_copies_and_compiles_once(small_config, clock_dir):
  trainer, state, data, steps, num_train = _trainer_with_data(small_config, clock_dir)
  for _ in range(2):  # the second epoch must reuse the first one's compilations
    with jax.transfer_guard('disallow'):
      order = trainer.epoch_order(state, num_train, steps, 1)
      for index in range(steps):
        state, metrics = trainer.train_chunk(state, data, order[index], unroll=True)
      jax.block_until_ready(metrics)
  assert trainer.train_chunk._cache_size() == 1  # pylint: disable=protected-access
  assert trainer.epoch_order._cache_size() == 1  # pylint: disable=protected-access
  assert int(state.step[0]) == 2 * steps


def test_training_state_is_donated(small_config, clock_dir):
  trainer, state, data, steps, num_train = _trainer_with_data(small_config, clock_dir)
  order = trainer.epoch_order(state, num_train, steps, 1)
  old_params = state.params
  trainer.train_chunk(state, data, order[0], unroll=True)
  assert all(leaf.is_deleted() for leaf in jax.tree.leaves(old_params))


_TRAIN = '''
import json, sys
from timeread_jax import loop
from timeread_jax.config import Config
loop.train_and_evaluate(Config(**json.loads(sys.argv[1])), sys.argv[2])
'''


def _on_devices(devices, script, *args, timeout=600):
  env = {**os.environ, 'XLA_FLAGS': f'--xla_force_host_platform_device_count={devices}'}
  return subprocess.run([sys.executable, '-c', script, *args], env=env, capture_output=True, text=True,
                        timeout=timeout, cwd=ROOT)


_FIRST_STEP_AND_EPOCH = '''
import json, sys
import jax
jax.config.update('jax_enable_x64', True)  # lets a config compute in float64; float32 ones stay float32
import numpy as np
import optax
from timeread_jax.config import Config
from timeread_jax.steps import Steps


first_seed = lambda state: jax.tree.map(lambda x: x[0], state)


leaves = lambda prefix, tree: {prefix + jax.tree_util.keystr(k): np.asarray(v)
                               for k, v in jax.tree_util.tree_leaves_with_path(tree)}


found = {}
for name, fields in json.loads(sys.argv[1]).items():
  trainer = Steps(Config(**fields), steps_per_epoch=4)
  state = trainer.init_state()
  with np.load(sys.argv[2]) as stored:
    data = trainer.put(trainer.source.device_data((stored['images'], stored['labels'])))
  order = trainer.epoch_order(state, 64, 4, 1)
  step = jax.jit(lambda state, data, indices: trainer.gradients(first_seed(state), data, indices[0, 0]),
                 out_shardings=trainer.replicated)
  (loss, *_), grads = step(state, data, order[0])
  found.update({f'{name}/loss': np.asarray(loss), **leaves(f'{name}/gradient', grads)})
  losses = []
  for indices in order:  # the four steps of the epoch, as the training loop takes them
    state, metrics = trainer.train_chunk(state, data, indices, unroll=True)
    losses.append(np.asarray(metrics['loss']))
  found.update({f'{name}/epoch losses': np.stack(losses), **leaves(f'{name}/trained', first_seed(state).params)})
np.savez(sys.argv[3], **found)
'''


def test_eight_devices_take_the_steps_one_device_takes(small_config, clock_dir, tmp_path):
  """ClockNet at its full widths: the first step's loss and gradients in float64, the losses and parameters after
  an epoch of four Adam steps (1e-4) in float64, and in float32 the first step's loss and that epoch's losses, on
  stored clocks (fresh ones: the next test shows that eight devices render the very pixels one device renders).

  XLA:CPU once got the gradient of batch norm before a reshape-and-max pooling of an odd map wrong over several
  devices (off by 100%). Computed in float64 the first step's gradients agree to 2e-15, and the epoch's losses and
  parameters to 1e-6 (measured: 1e-7; the parameters stay float32, so each update still rounds, and the losses are
  computed in float32). Float32 gradients are not compared: the batch-norm statistics, summed in
  another order, move every activation by about 1e-7, and a ReLU input that close to zero may change sign; where
  the rest of its pooling window is negative, the window's whole gradient then flows through it on one side and
  nowhere on the other (a tie of zeros). That moved BatchNorm_4's bias gradient by 9.5% of its largest entry on the
  first fresh batch of docs/training.md's smoke run, and these stored clocks' BatchNorm_0 bias gradient by 5e-5 once
  they were rendered anew; sums in another order alone move a gradient by a few 1e-6. Later steps amplify it: at
  full widths an epoch of 7 SGD steps at 0.001 ended 7e-4 apart, each run 5e-4 from float64's. The four Adam steps'
  float32 losses agree to 1e-3 (measured: 6e-7 on YNNPACK's convolutions; on Eigen's, one device's last loss 6.5e-4
  from float64's and eight devices' 2e-5, 1.0e-4 of the largest loss apart, with the weight gradients summed whole or
  in chunks alike); their parameters are not compared, since Adam moves a parameter whose gradient is only rounding
  noise by about the learning rate, in the noise's direction.
  """
  images, labels = datasets.load_splits(small_config(clock_dir)).train
  np.savez(tmp_path / 'batch.npz', images=images[:64], labels=labels[:64])
  configs = {dtype: dataclasses.asdict(small_config(clock_dir, model_options={}, dtype=dtype, learning_rate=1e-4))
             for dtype in ('float64', 'float32')}
  for devices in (1, 8):
    result = _on_devices(devices, _FIRST_STEP_AND_EPOCH, json.dumps(configs), str(tmp_path / 'batch.npz'),
                         str(tmp_path / f'{devices}.npz'))
    assert result.returncode == 0, result.stderr[-2000:]
  one, eight = np.load(tmp_path / '1.npz'), np.load(tmp_path / '8.npz')
  assert set(one.files) == set(eight.files) and {name.split('/')[0] for name in one.files} == set(configs)
  for name in one.files:
    dtype, what = name.split('/')
    if dtype == 'float32' and what not in ('loss', 'epoch losses'):
      continue  # float32 gradients and parameters: see above
    tolerance = 1e-3 if name == 'float32/epoch losses' else 1e-6
    assert np.abs(eight[name] - one[name]).max() <= tolerance * np.abs(one[name]).max(), name


_FRESH_BATCHES = '''
import json, sys
import jax
import jax.numpy as jnp
import numpy as np
import optax
from timeread_jax.config import Config
from timeread_jax.steps import Steps


trainer = Steps(Config(**json.loads(sys.argv[1])), steps_per_epoch=1)


batch = jax.jit(lambda key: trainer.split_batch(trainer.source.batch(None, jnp.arange(64), key, 0)))
np.save(sys.argv[2], np.stack([np.asarray(batch(jax.random.PRNGKey(i))[0]) for i in range(16)]))
'''


def test_eight_devices_render_the_fresh_clocks_one_device_renders(small_config, tmp_path):
  """Each device renders its own share of a fresh batch, as the training step does, and gets the very pixels one
  device renders. They once came out one grey level apart in 3 pixels of a million: XLA turned a division by a
  picture's own scalar into a multiplication by its reciprocal in some shards' programs only, and a matrix
  product's rounding changed with the shard's size (render.py now multiplies by reciprocals and blurs by sums)."""
  config = json.dumps(dataclasses.asdict(small_config('', fresh_data=True, batch_size=64)))
  for devices in (1, 8):
    result = _on_devices(devices, _FRESH_BATCHES, config, str(tmp_path / f'{devices}.npy'))
    assert result.returncode == 0, result.stderr[-2000:]
  assert np.array_equal(np.load(tmp_path / '1.npy'), np.load(tmp_path / '8.npy'))


def test_a_batch_that_does_not_split_over_the_devices_is_refused(small_config, clock_dir, tmp_path):
  config = dataclasses.asdict(small_config(clock_dir, epochs=1, batch_size=12))
  result = _on_devices(8, _TRAIN, json.dumps(config), str(tmp_path), timeout=300)
  assert 'batch size 12 does not divide by the 8 devices' in result.stderr
