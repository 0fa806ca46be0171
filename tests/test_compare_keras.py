"""experiments.compare_keras as a user runs it: a flagfile in, the Flax-versus-Keras table out; mistakes in one line."""
import importlib.util
import json
import pathlib
import subprocess
import sys

import pytest

from experiments import compare_keras
from tests.fake_data import write_fashion_mnist

REPO = pathlib.Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess:
  return subprocess.run([sys.executable, '-m', 'experiments.compare_keras', *args], cwd=REPO, capture_output=True,
                        text=True, timeout=300, check=False)


@pytest.mark.skipif(importlib.util.find_spec('keras') is None, reason='Keras is not installed')
def test_one_epoch_on_tiny_data_tables_flax_against_keras_on_both_backends(tmp_path):
  completed = _run('--flagfile=experiments/flags/fashion_mlp/batchnorm.flags', f'--workdir={tmp_path}',
                   f'--data_dir={write_fashion_mnist(tmp_path / "data")}', '--val_size=16', '--num_examples=32',
                   '--batch_size=8', '--epochs=1', '--keras_backend=jax', '--monitor=val_accuracy')
  assert completed.returncode == 0, completed.stderr[-3000:]
  results = json.loads((tmp_path / 'compare.json').read_text())
  assert list(results) == ['flax', 'keras_tensorflow', 'keras_jax']
  for result in results.values():
    assert {'seconds_per_epoch', 'examples_per_second', 'warmup_seconds', 'test_accuracy', 'test_loss'} <= set(result)
    assert result['num_params'] == 266_610 + 4 * 400 and result['epochs'] == 1
  assert results['keras_jax']['flax_speedup'] > 0
  table = (tmp_path / 'compare.md').read_text()
  assert '| parameters | 268,210 | 268,210 | 268,210 |' in table
  assert table in completed.stdout
  assert (tmp_path / 'flax' / 'results.json').exists()


@pytest.mark.parametrize('args, named', [
    ((), 'give an experiment variant'),
    (('--flagfile=experiments/flags/clock.flags',), 'is not an experiment variant'),
    (('--flagfile=experiments/flags/clock_twohead/gpu.flags',), '--fresh_data'),
    (('--flagfile=experiments/flags/clock_twohead/fixed.flags', '--erase=0.5'), '--erase'),
    (('--flagfile=experiments/flags/clock_twohead/fixed.flags', '--image_size=150', '--via_75px=0.5'), '--via_75px'),
    (('--flagfile=experiments/flags/clock_twohead/fixed.flags',
      '--init_from=timeread_jax/pretrained/clock_reader.msgpack'), '--init_from'),
    (('--flagfile=experiments/flags/clock_twohead/fixed.flags', '--monitor=val_cse_minutes'),
     'the Keras twin monitors'),
])
def test_what_cannot_be_compared_ends_in_one_line(tmp_path, args, named):
  completed = _run(*args, f'--workdir={tmp_path}')
  assert completed.returncode == 2
  assert completed.stderr.count('\n') == 1 and named in completed.stderr


def test_the_steady_time_leaves_out_the_first_epoch():
  timing = compare_keras.epoch_timing([5.0, 1.0, 3.0, 2.0], examples_per_epoch=100)
  assert timing['seconds_per_epoch'] == 2.0 and timing['warmup_seconds'] == 3.0
  assert timing['examples_per_second'] == 50.0
  assert compare_keras.epoch_timing([4.0], examples_per_epoch=100)['warmup_seconds'] is None
