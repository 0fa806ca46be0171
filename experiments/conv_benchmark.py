"""Where a convnet's training step loses time on this backend: each convolution of the Géron CNN and of ClockNet
(at 150 px, the 75 px trunk, and the stem of its space-to-depth variant), timed alone, forward, input gradient
and weight gradient, the last both as lax computes it and as the models do (models.conv_general_dilated: on one
CPU device, summed over chunks of examples).

  python -m experiments.conv_benchmark [--repeats=5] [--batch=N]

The three parts of a convolution do the same number of FLOPs, so a part that runs far below the other two is where
the backend loses time (on XLA:CPU, the weight gradients of the large maps). Each figure is the fastest of
--repeats calls after a compiling one, as GFLOP/s.
"""
from absl import flags
import jax

from experiments import cli
from experiments import timing
from timeread_jax import models

# (model, batch, input size, input channels, output channels, kernel, stride): every convolution of the models,
# at their base flagfiles' batch sizes, on 28 px Fashion-MNIST and 150 or 75 px clocks.
LAYERS = (
    ('geron_cnn', 64, 28, 1, 64, 7, 1),
    ('geron_cnn', 64, 14, 64, 128, 3, 1),
    ('geron_cnn', 64, 14, 128, 128, 3, 1),
    ('geron_cnn', 64, 7, 128, 256, 3, 1),
    ('geron_cnn', 64, 7, 256, 256, 3, 1),
    ('clocknet', 32, 150, 1, 16, 3, 2),
    ('clocknet', 32, 75, 16, 32, 3, 1),
    ('clocknet', 32, 37, 32, 64, 3, 1),
    ('clocknet', 32, 18, 64, 128, 3, 1),
    ('clocknet', 32, 9, 128, 256, 3, 1),
    ('clocknet_75px', 32, 75, 1, 16, 3, 2),
    ('clocknet_75px', 32, 38, 16, 24, 3, 1),
    ('clocknet_75px', 32, 19, 24, 64, 3, 1),
    ('clocknet_75px', 32, 9, 64, 128, 3, 1),
    ('clocknet_75px', 32, 4, 128, 256, 3, 1),
    ('clocknet_s2d', 32, 19, 16, 24, 3, 1),  # its stem on the 4x4 patches; the layers after it are clocknet_75px's
)

flags.adopt_module_key_flags(timing)
_BATCH = flags.DEFINE_integer('batch', 0, "Batch size of every layer (0: its model's).", lower_bound=0)


def time_layer(batch: int, size: int, channels: int, features: int, kernel: int, stride: int) -> dict[str, float]:
  """GFLOP/s of the layer's forward pass, input gradient and weight gradient (lax's and the models')."""
  def conv(x, w, conv_general_dilated=jax.lax.conv_general_dilated):
    return conv_general_dilated(x, w, (stride, stride), 'SAME', dimension_numbers=('NHWC', 'HWIO', 'NHWC'))

  x_key, w_key = jax.random.split(jax.random.PRNGKey(0))
  x = jax.random.normal(x_key, (batch, size, size, channels))
  w = jax.random.normal(w_key, (kernel, kernel, channels, features))
  dy = conv(x, w)
  flops = 2 * dy.size * kernel * kernel * channels
  parts = {
      'forward': (jax.jit(conv), x, w),
      'input gradient': (jax.jit(lambda x, w, dy: jax.vjp(lambda x: conv(x, w), x)[1](dy)[0]), x, w, dy),
      'weight gradient': (jax.jit(lambda x, w, dy: jax.vjp(lambda w: conv(x, w), w)[1](dy)[0]), x, w, dy),
      'models\' weight gradient': (jax.jit(lambda x, w, dy: jax.vjp(
          lambda w: conv(x, w, models.conv_general_dilated), w)[1](dy)[0]), x, w, dy),
  }
  return {name: flops / timing.fastest_seconds(*part, repeats=timing.repeats()) / 1e9 for name, part in parts.items()}


def main(argv):
  if len(argv) > 1:
    cli.fail(f'unexpected arguments: {" ".join(argv[1:])}')
  print(f'GFLOP/s of each convolution alone on {jax.devices()[0].device_kind}, jax {jax.__version__}, best of '
        f'{timing.repeats()} calls\n')
  print('| model | batch | input | kernel | forward | input gradient | weight gradient | models\' weight gradient |')
  print('| --- | ---: | --- | --- | ---: | ---: | ---: | ---: |')
  for model, batch, size, channels, features, kernel, stride in LAYERS:
    batch = _BATCH.value or batch
    speeds = time_layer(batch, size, channels, features, kernel, stride)
    print(f'| {model} | {batch} | {size}x{size}x{channels} | {kernel}x{kernel}x{features}'
          f'{f" stride {stride}" if stride > 1 else ""} | ' + ' | '.join(f'{v:.1f}' for v in speeds.values()) + ' |',
          flush=True)


if __name__ == '__main__':
  cli.run(main)
