"""Training speed of the Flax models, against Keras on TensorFlow and against this machine's matmul peak.

  python -m experiments.benchmark                                  # the MLP, the Géron CNN and ClockNet at 150 px
  python -m experiments.benchmark --models=mlp --repeats=2 --keras_backend=jax
  python -m experiments.benchmark --models=clocknet_75px,clocknet_s2d,clocknet_s2d_2conv  # the 75 px trunks

Each model trains --repeats epochs after a first, compiling one, in each framework, through the paths
experiments.compare_keras takes (loop.train_and_evaluate; Keras in a process of its own), with the settings of its
base flagfile; convnet epochs are cut to --conv_steps steps. Reported: the median of the timed epochs' training
examples/s with their range; the GFLOP/s that is, by XLA's cost analysis of one train step; its share of this
machine's float32 (or --dtype) matmul peak, measured at the start of the run; and Flax's speed-up over each Keras
backend. The table goes to stdout and WORKDIR/benchmark.md, the numbers to WORKDIR/benchmark.json.
"""
import dataclasses
import math
import os
import platform

from absl import flags
import jax
import jax.numpy as jnp

from experiments import cli
from experiments import common  # noqa: F401  # defines --dtype and --workdir
from experiments import compare_keras
from experiments import timing
from timeread_jax import datasets
from timeread_jax import files
from timeread_jax.config import Config
from timeread_jax.steps import Steps

FLAGS = flags.FLAGS
_FASHION = dict(data='fashion_mnist', representation='categorical', representation_options={'num_classes': 10},
                optimizer='sgd', learning_rate=0.01)
_CLOCKS = dict(data='clocks', representation='twohead', optimizer='adam')
_CLOCKNET = dict(_CLOCKS, model='clocknet', learning_rate=1e-3, batch_size=32)
# Each model with its base flagfile's settings.
BENCHMARKS = {
    'mlp': dict(_FASHION, model='mlp', batch_size=32),  # fashion_mlp/base
    'geron_cnn': dict(_FASHION, model='geron_cnn', batch_size=64),  # fashion_cnn/base
    'clocknet': _CLOCKNET,  # clock_twohead/gpu
    'clocknet_75px': dict(_CLOCKNET, image_size=75, model_options={'widths': [24, 64, 128, 256]}),  # .../base
    # Space-to-depth stems (docs/speed.md: faster steps, but more epochs to the same error).
    'clocknet_s2d': dict(_CLOCKNET, image_size=75,
                         model_options={'widths': [64, 128, 256], 'stem': [24], 'space_to_depth': 4}),
    'clocknet_s2d_2conv': dict(_CLOCKNET, image_size=75,
                               model_options={'widths': [64, 128, 256], 'stem': [32, 32], 'space_to_depth': 4}),
    'report_clock_cnn': dict(_CLOCKS, model='report_clock_cnn', learning_rate=1e-4, batch_size=32),  # .../report
}

_MODELS = flags.DEFINE_list('models', ['mlp', 'geron_cnn', 'clocknet'], f'Which of {", ".join(BENCHMARKS)}.')
flags.adopt_module_key_flags(timing)  # --repeats: timed epochs per model and framework, and calls of the peak matmul
_CONV_STEPS = flags.DEFINE_integer('conv_steps', 16, 'Training steps per epoch of the convnets (the MLP trains on '
                                   'all of Fashion-MNIST).', lower_bound=1)
# --dtype: of the models and the peak; --workdir: where the runs, benchmark.md and .json go (workdirs/benchmark).
flags.declare_key_flag('dtype')
flags.declare_key_flag('workdir')
flags.register_validator('models', lambda names: set(names) <= set(BENCHMARKS),
                         message=f'--models must name some of {", ".join(BENCHMARKS)}')


def make_config(model: str) -> Config:
  fields = BENCHMARKS[model]
  config = Config(experiment=f'benchmark_{model}', epochs=timing.repeats() + 1, dtype=FLAGS.dtype, **fields)
  if model == 'mlp':
    return config
  examples = _CONV_STEPS.value * config.batch_size
  if config.data == 'clocks':  # rendered clocks lose 20% to test, then 10% to validation; 2 more absorb rounding
    examples = math.ceil(examples / ((1 - datasets.CLOCK_TEST_FRACTION) * (1 - datasets.CLOCK_VAL_FRACTION))) + 2
  return dataclasses.replace(config, num_examples=examples)


def matmul_peak_gflops(dtype: str, repeats: int) -> float:
  """GFLOP/s of a large jitted matmul, the fastest of `repeats` after a warm-up: what this machine can reach (other
  load only ever slows a repeat down). Accelerators get a larger one, so that dispatch time does not count."""
  size = 4096 if jax.default_backend() == 'cpu' else 8192
  a, b = jax.random.normal(jax.random.PRNGKey(0), (2, size, size), dtype)
  return 2 * size ** 3 / timing.fastest_seconds(jax.jit(jnp.matmul), a, b, repeats=repeats) / 1e9


def flops_per_step(config: Config) -> float:
  """XLA's count of the floating-point operations in one training step of the model (one step, not a scan: XLA
  counts a loop's body once), from the program before compilation: on GPUs the compiled one hands convolutions to
  cuDNN, whose calls the count leaves out."""
  splits = datasets.load_splits(config)
  steps = Steps(config, len(splits.train[0]) // config.batch_size)
  train_shapes = jax.tree.map(lambda array: jax.ShapeDtypeStruct(array.shape, array.dtype), splits.train)
  indices = jax.ShapeDtypeStruct((1, 1, config.batch_size), jnp.int32)  # (seeds, steps, batch)
  lowered = steps.train_chunk.lower(jax.eval_shape(steps.init_state), train_shapes, indices, unroll=True)
  return lowered.cost_analysis()['flops']


def _speed(result: dict) -> dict:
  """Examples/s: the median epoch's, and the range over the timed epochs."""
  timed = result['epoch_seconds'][1:]
  return {'examples_per_second': result['examples_per_second'],
          'examples_per_second_range': [result['examples_per_epoch'] / max(timed),
                                        result['examples_per_epoch'] / min(timed)]}


def benchmark(model: str, peak_gflops: float, workdir: str) -> dict:
  config = make_config(model)
  flax_run = compare_keras.flax_result(config, os.path.join(workdir, model, 'flax'))
  steps_per_epoch = flax_run['examples_per_epoch'] // config.batch_size
  flops_per_example = flops_per_step(config) / config.batch_size
  gflops = flops_per_example * flax_run['examples_per_second'] / 1e9
  row = {'model': model, 'batch_size': config.batch_size, 'steps_per_epoch': steps_per_epoch,
         'flops_per_example': flops_per_example,
         'flax': {**_speed(flax_run), 'gflops_per_second': gflops, 'share_of_peak': gflops / peak_gflops,
                  'load_average': flax_run['load_average']}}
  for backend in compare_keras.keras_backends():
    keras_run = compare_keras.keras_result(config, backend, os.path.join(workdir, model, f'keras_{backend}.json'))
    row[f'keras_{backend}'] = {**_speed(keras_run), 'version': keras_run['version'],
                               'load_average': keras_run['load_average'],
                               'flax_speedup': flax_run['examples_per_second'] / keras_run['examples_per_second']}
  return row


def _examples_per_second(speed: dict) -> str:
  low, high = speed['examples_per_second_range']
  return f'{speed["examples_per_second"]:,.0f} ({low:,.0f}-{high:,.0f})'


def markdown(summary: dict) -> str:
  backends = [f'keras_{backend}' for backend in summary['keras_backends']]
  header = ['model', 'batch', 'steps/epoch', 'MFLOP/example', 'Flax examples/s (range)', 'GFLOP/s', 'of peak',
            *[f'{name} examples/s (range)' for name in backends], *[f'speed-up over {name}' for name in backends]]
  versions = ', '.join([summary['version'], *[summary['rows'][0][name]['version'] for name in backends]])
  xla_flags = f', XLA_FLAGS={summary["xla_flags"]}' if summary['xla_flags'] else ''
  hardware = f'{summary["cpu"]} ({summary["cores"]} cores)'
  if summary['platform'] != 'cpu':
    hardware = f'{summary["device"]} (host: {hardware})'
  lines = [f'{summary["dtype"]} training on {hardware}; {versions}{xla_flags}. '
           f'{summary["dtype"]} matmul peak {summary["peak_gflops"]:.0f} GFLOP/s; median of {summary["repeats"]} '
           f'epochs after the first; load average {summary["load_average"][0]:.1f} at start, '
           f'{summary["load_average"][1]:.1f} at end.', '',
           '| ' + ' | '.join(header) + ' |', '| --- |' + ' ---: |' * (len(header) - 1)]
  for row in summary['rows']:
    flax_row = row['flax']
    cells = [row['model'], str(row['batch_size']), str(row['steps_per_epoch']), f'{row["flops_per_example"] / 1e6:.1f}',
             _examples_per_second(flax_row),
             f'{flax_row["gflops_per_second"]:.0f}', f'{flax_row["share_of_peak"]:.1%}',
             *[_examples_per_second(row[name]) for name in backends],
             *[f'{row[name]["flax_speedup"]:.2f}x' for name in backends]]
    lines.append('| ' + ' | '.join(cells) + ' |')
  return '\n'.join(lines) + '\n'


def _cpu_name() -> str:
  try:
    with open('/proc/cpuinfo') as f:
      return next(line.split(':', 1)[1].strip() for line in f if line.startswith('model name'))
  except (OSError, StopIteration):
    return platform.processor() or platform.machine()


def main(argv):
  del argv
  workdir = os.path.abspath(FLAGS.workdir or 'workdirs/benchmark')
  load_at_start = os.getloadavg()[0]
  peak = matmul_peak_gflops(FLAGS.dtype, timing.repeats())
  rows = [benchmark(model, peak, workdir) for model in _MODELS.value]
  summary = {'cpu': _cpu_name(), 'cores': os.cpu_count(), 'platform': jax.default_backend(),
             'device': jax.devices()[0].device_kind,
             'version': f'jax {jax.__version__}', 'xla_flags': os.environ.get('XLA_FLAGS', ''), 'dtype': FLAGS.dtype,
             'peak_gflops': peak, 'repeats': timing.repeats(), 'keras_backends': compare_keras.keras_backends(),
             'load_average': [load_at_start, os.getloadavg()[0]], 'rows': rows}
  table = markdown(summary)
  files.write_text(os.path.join(workdir, 'benchmark.md'), table)
  files.write_json(os.path.join(workdir, 'benchmark.json'), summary)
  print(table, end='')


if __name__ == '__main__':
  cli.run(main)
