"""Renders a synthetic clock dataset in the Leiden layout (images.npy, labels.npy) and/or a preview grid.

  python -m experiments.make_clocks --num_examples=18000 --seed=0 --out=/tmp/clocks --preview=/tmp/clocks.png
  python -m experiments.make_clocks --preview=docs/synthetic_clocks.png --beside=../shared/real-clock-dev

With --beside, rows of real photos from a Leiden folder alternate with rows of renders, to compare them.
"""
import os
import time

from absl import flags
import numpy as np

from experiments import cli
from timeread_jax import clocks
from timeread_jax import plots
from timeread_jax.datasets import DataError

_NUM_EXAMPLES = flags.DEFINE_integer('num_examples', 18000, 'How many clocks to render.', lower_bound=1)
_SEED = flags.DEFINE_integer('seed', 0, 'The dataset is a function of this seed alone.')
_OUT = flags.DEFINE_string('out', None, 'Directory for images.npy and labels.npy; created if missing.')
_PREVIEW = flags.DEFINE_string('preview', None, 'PNG file showing the first 32 clocks with their labels.')
_BESIDE = flags.DEFINE_string('beside', None, 'A Leiden folder of real photos whose first 16 the preview shows in rows '
                              'alternating with 16 renders.')

_PREVIEW_ROWS, _PREVIEW_COLUMNS = 4, 8


def main(argv):
  if len(argv) > 1:
    cli.fail(f'unexpected arguments {argv[1:]}')
  if not _OUT.value and not _PREVIEW.value:
    cli.fail('nothing to write: give --out, --preview or both')
  for directory in filter(None, [_OUT.value, _PREVIEW.value and os.path.dirname(os.path.abspath(_PREVIEW.value))]):
    _check_writable(directory)
  real = None
  if _BESIDE.value:
    try:
      real = clocks.load_leiden(_BESIDE.value)
    except DataError as error:
      cli.fail(str(error))
  # With only a preview to draw, render only what it shows.
  num_examples = _NUM_EXAMPLES.value if _OUT.value else min(_NUM_EXAMPLES.value, _PREVIEW_ROWS * _PREVIEW_COLUMNS)

  start = time.perf_counter()
  clocks.make_clocks(1, _SEED.value)  # compiles the renderer: every count renders chunks of the same shape
  warm = time.perf_counter()
  images, labels = clocks.make_clocks(num_examples, _SEED.value)
  end = time.perf_counter()
  print(f'rendered {num_examples} clocks of {clocks.IMAGE_SIZE}x{clocks.IMAGE_SIZE} in {end - warm:.1f} s: '
        f'{num_examples / (end - warm):.0f} images/s after compile '
        f'({end - start:.1f} s wall including compile and warm-up)')

  if _OUT.value:
    clocks.save_leiden(_OUT.value, images, labels)
    print(f'wrote {os.path.join(_OUT.value, "images.npy")} and labels.npy')
  if _PREVIEW.value:
    shown, titles = images[:_PREVIEW_ROWS * _PREVIEW_COLUMNS], [f'{h}:{m:02d}' for h, m in labels]
    if real is not None:
      real_images, real_labels = real[0][:len(shown) // 2], real[1][:len(shown) // 2]
      real_images = clocks.resize_images(real_images, clocks.IMAGE_SIZE)
      rows, real_titles = [], []
      for start in range(0, len(real_images), _PREVIEW_COLUMNS):
        end = start + _PREVIEW_COLUMNS
        rows += [real_images[start:end], shown[start:end]]
        real_titles += [f'real {h}:{m:02d}' for h, m in real_labels[start:end]] + titles[start:end]
      shown, titles = np.concatenate(rows), real_titles
    plots.save_image_grid(_PREVIEW.value, shown, titles[:len(shown)], ncols=_PREVIEW_COLUMNS)
    print(f'wrote {_PREVIEW.value}')


def _check_writable(directory: str) -> None:
  """Fails before the rendering, not after it."""
  try:
    os.makedirs(directory, exist_ok=True)
  except OSError as error:
    cli.fail(f'cannot create {directory}: {error.strerror}')
  if not os.access(directory, os.W_OK):
    cli.fail(f'cannot write to {directory}')


if __name__ == '__main__':
  cli.run(main)
