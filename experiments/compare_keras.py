"""Trains an experiment's Flax model and its Keras twin on the same data, and tables their speed and test results.

  python -m experiments.compare_keras --flagfile=experiments/flags/fashion_mlp/base.flags --epochs=5
  python -m experiments.compare_keras --flagfile=experiments/flags/clock_twohead/report.flags --epochs=3 \
      --num_examples=2000 --keras_backend=jax --workdir=workdirs/compare/clock_report

The experiment is the flagfile's folder, and any of its flags may follow the flagfile. Both frameworks train from
scratch with the same settings, initializers, batch size and data split: the Flax model through
loop.train_and_evaluate (into WORKDIR/flax, replaced each time), Keras on TensorFlow, the report's framework, and
with --keras_backend=jax on JAX too, each backend in a process of its own (experiments/keras_baselines.py). Both
time an epoch from its start to its validation; the first epoch compiles, the median of the others is the steady
time. Writes WORKDIR/compare.md and WORKDIR/compare.json (one object per framework).
"""
import dataclasses
import functools
import importlib
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
from types import ModuleType

from absl import flags
import flax
import jax

from experiments import cli
from timeread_jax import build
from timeread_jax import datasets
from timeread_jax import files
from timeread_jax import results as results_lib
from timeread_jax import loop
from timeread_jax import errors
from timeread_jax.config import Config

FLAGS = flags.FLAGS

KERAS_BACKEND = flags.DEFINE_enum(
    'keras_backend', 'tensorflow', ['tensorflow', 'jax', 'none'],
    'Keras on TensorFlow, as in the report; jax: on JAX as well as on TensorFlow (each backend in its own process); '
    'none: Flax alone, for a machine without Keras.')

KERAS_PACKAGES = 'keras tensorflow-cpu'


class KerasRunError(errors.UserError):
  """The Keras process failed; it has printed its own error."""


def keras_backends() -> list[str]:
  return {'tensorflow': ['tensorflow'], 'jax': ['tensorflow', 'jax'], 'none': []}[KERAS_BACKEND.value]


def epoch_timing(epoch_seconds: list[float], examples_per_epoch: int) -> dict:
  """The steady time per epoch (the median of those after the first) and what the first, compiling, cost beyond it."""
  steady = statistics.median(epoch_seconds[1:] or epoch_seconds)
  return {'epoch_seconds': epoch_seconds, 'examples_per_epoch': examples_per_epoch, 'seconds_per_epoch': steady,
          'warmup_seconds': epoch_seconds[0] - steady if len(epoch_seconds) > 1 else None,
          'examples_per_second': examples_per_epoch / steady}


def flax_result(config: Config, workdir: str) -> dict:
  """Trains the Flax model from scratch in `workdir`; its timing, size and test metrics."""
  shutil.rmtree(workdir, ignore_errors=True)
  load_average = os.getloadavg()[0]
  results = loop.train_and_evaluate(config, workdir)
  epoch_seconds = [record['epoch_seconds'] for record in results_lib.read_history(workdir)]
  steps_per_epoch = len(datasets.load_splits(config).train[0]) // config.batch_size
  return {'version': f'jax {jax.__version__}, flax {flax.__version__}', 'device': results['device'],
          'load_average': load_average,
          # Keras counts batch-norm statistics as parameters: so does the comparison.
          'num_params': sum(leaf.size for leaf in jax.tree.leaves(build.network(config).variable_shapes())),
          **epoch_timing(epoch_seconds, steps_per_epoch * config.batch_size),
          'epochs': results['epochs'], 'best_epoch': results['best_epoch'],
          **{key: value for key, value in results.items() if key.startswith('test_')}}


def keras_result(config: Config, backend: str, result_path: str) -> dict:
  """Trains the Keras twin on `backend` in a new process (Keras fixes its backend at import); its result."""
  if os.path.exists(result_path):
    os.remove(result_path)
  load_average = os.getloadavg()[0]
  env = {**os.environ, 'KERAS_BACKEND': backend, 'TF_CPP_MIN_LOG_LEVEL': os.environ.get('TF_CPP_MIN_LOG_LEVEL', '2')}
  if backend == 'tensorflow':
    env['JAX_PLATFORMS'] = 'cpu'  # the process uses JAX only to score outputs: it must leave accelerators to TF
  completed = subprocess.run(
      [sys.executable, '-m', 'experiments.keras_baselines', json.dumps(dataclasses.asdict(config)), result_path],
      env=env, check=False)
  if completed.returncode:
    raise KerasRunError(f'Keras on {backend} failed with exit status {completed.returncode} (its error is above)')
  with open(result_path) as f:
    result = json.load(f)
  return {'version': result.pop('version'), 'load_average': load_average, 'num_params': result.pop('num_params'),
          **epoch_timing(result.pop('epoch_seconds'), result.pop('examples_per_epoch')), **result}


def compare(config: Config, workdir: str, backends: list[str]) -> dict[str, dict]:
  """{'flax': ..., 'keras_<backend>': ...}: each one's timing, size and test metrics, Keras' with Flax's speed-up."""
  os.makedirs(workdir, exist_ok=True)
  results = {'flax': flax_result(config, os.path.join(workdir, 'flax'))}
  for backend in backends:
    result = keras_result(config, backend, os.path.join(workdir, f'keras_{backend}.json'))
    result['flax_speedup'] = results['flax']['examples_per_second'] / result['examples_per_second']
    results[f'keras_{backend}'] = result
  return results


def _number(value) -> str:
  if value is None:
    return 'n/a'
  return f'{value:,.0f}' if abs(value) >= 1000 else f'{value:.3g}'


def _options(options: dict) -> str:
  return f' ({", ".join(f"{name}={value}" for name, value in options.items())})' if options else ''


def markdown(config: Config, results: dict[str, dict]) -> str:
  """The comparison as a Markdown table, one column per framework."""
  test_metrics = [key for key in results['flax'] if key.startswith('test_')]
  rows = [('version', lambda result: result['version']),
          ('parameters', lambda result: f'{result["num_params"]:,}'),
          ('compile/warm-up (s)', lambda result: _number(result['warmup_seconds'])),
          ('s/epoch (median after the first)', lambda result: _number(result['seconds_per_epoch'])),
          ('examples/s', lambda result: _number(result['examples_per_second'])),
          ('epochs (best)', lambda result: f'{result["epochs"]} ({result["best_epoch"]})'),
          *[(key, lambda result, key=key: _number(result[key])) for key in test_metrics],
          ('Flax speed-up (examples/s)', lambda result: f'{result["flax_speedup"]:.2f}x' if 'flax_speedup' in result
           else ''),
          ('load average at start', lambda result: f'{result["load_average"]:.1f}')]
  lines = [f'# {config.experiment}: Flax against Keras', '',
           f'Model `{config.model}`{_options(config.model_options)} with `{config.representation}` outputs, '
           f'{config.optimizer} (learning rate {config.learning_rate:g}), batch {config.batch_size}, '
           f'{config.epochs} epochs; on {results["flax"]["device"]}, {os.cpu_count()} cores.', '',
           '| | ' + ' | '.join(results) + ' |', '| --- |' + ' ---: |' * len(results)]
  lines += [f'| {label} | ' + ' | '.join(cell(result) for result in results.values()) + ' |' for label, cell in rows]
  return '\n'.join(lines) + '\n'


def experiment_module(argv: list[str]) -> ModuleType:
  """The experiment a flagfile belongs to, by its folder (experiments/flags/EXPERIMENT/VARIANT.flags), imported so
  that its flags are defined before the command line is parsed."""
  flagfiles = [arg.split('=', 1)[1] for arg in argv[1:] if arg.startswith('--flagfile=')]
  if not flagfiles:
    cli.fail('give an experiment variant: --flagfile=experiments/flags/EXPERIMENT/VARIANT.flags')
  name = os.path.basename(os.path.dirname(os.path.abspath(flagfiles[0])))
  module = importlib.import_module(f'experiments.{name}') if importlib.util.find_spec(f'experiments.{name}') else None
  if not hasattr(module, 'make_config'):
    cli.fail(f'{flagfiles[0]} is not an experiment variant: its folder, {name}, names no experiment module')
  return module


def main(experiment: ModuleType, argv: list[str]) -> None:
  del argv
  if FLAGS.seeds > 1:
    cli.fail('--seeds does not apply: a comparison trains one seed in each framework')
  workdir = cli.require('workdir', 'where the runs, compare.md and compare.json go')
  config = experiment.make_config()
  changing = [name for name in ('fresh_data', 'augment', 'erase', 'via_75px') if getattr(config, name)]
  if changing:
    cli.fail(f'--{changing[0]} changes batches inside the JAX train step, which the Keras twin has no copy of')
  if config.init_from:
    cli.fail('--init_from starts the JAX run from trained weights, which the Keras twin has no copy of')
  if config.monitor not in ('val_loss', 'val_accuracy') or (config.monitor == 'val_accuracy'
                                                             and config.representation != 'categorical'):
    cli.fail(f'--monitor={config.monitor}: the Keras twin monitors val_loss, or val_accuracy for Task 1')
  if importlib.util.find_spec('keras') is None:
    cli.fail(f'Keras is not installed: pip install {KERAS_PACKAGES}')
  results = compare(config, workdir, keras_backends())
  table = markdown(config, results)
  files.write_text(os.path.join(workdir, 'compare.md'), table)
  files.write_json(os.path.join(workdir, 'compare.json'), results)
  print(table, end='')


if __name__ == '__main__':
  cli.run(functools.partial(main, experiment_module(sys.argv)))
