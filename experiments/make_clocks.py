"""Renders a synthetic clock dataset in the Leiden layout (images.npy, labels.npy) and/or a preview grid.

  python -m experiments.make_clocks --count=18000 --render_seed=0 --out_dir=/tmp/clocks --preview=/tmp/clocks.png
  python -m experiments.make_clocks --preview=docs/synthetic_clocks.png --beside=../shared/real-clock-dev
  python -m experiments.make_clocks --designs=all --preview=docs/any_clocks.png --beside=../shared/wild-clock-dev
  python -m experiments.make_clocks --designs=all --held_out_styles --count=1440 --out_dir=/tmp/unseen_designs

With --beside, rows of real photos from a Leiden folder alternate with rows of renders, to compare them;
--designs=all renders every design, not the Leiden clock alone; --held_out_styles renders only what a held-out run
validates on (the unseen dial styles and floors, or with --designs=all the unseen designs), to score any reader on.
"""
import os
import time

from absl import flags
import numpy as np

from experiments import cli
from experiments import clock  # defines --designs and --held_out_styles
from timeread_jax import plots
from timeread_jax import datasets
from timeread_jax import pictures
from timeread_jax import render
from timeread_jax import synthetic

flags.declare_key_flag('designs', flag_values=flags.FLAGS)
flags.declare_key_flag('held_out_styles', flag_values=flags.FLAGS)
_COUNT = flags.DEFINE_integer('count', 18000, 'How many clocks to render.', lower_bound=1)
_RENDER_SEED = flags.DEFINE_integer('render_seed', 0, 'The dataset is a function of this seed alone.')
_OUT_DIR = flags.DEFINE_string('out_dir', None, 'Directory for images.npy and labels.npy; created if missing.')
_PREVIEW = flags.DEFINE_string('preview', None, 'PNG file showing the first 32 clocks with their labels.')
_BESIDE = flags.DEFINE_string('beside', None, 'A Leiden folder of real photos whose first 32 the preview shows in rows '
                              'alternating with as many renders.')

_PREVIEW_CLOCKS, _PREVIEW_COLUMNS = 32, 8


def main(argv):
  if len(argv) > 1:
    cli.fail(f'unexpected arguments {argv[1:]}')
  if not _OUT_DIR.value and not _PREVIEW.value:
    cli.fail('nothing to write: give --out_dir, --preview or both')
  for directory in filter(None, [_OUT_DIR.value, _PREVIEW.value and os.path.dirname(os.path.abspath(_PREVIEW.value))]):
    _check_writable(directory)
  real = datasets.load_leiden(_BESIDE.value) if _BESIDE.value else None
  num_shown = _PREVIEW_CLOCKS if real is None else min(len(real[0]), _PREVIEW_CLOCKS)
  # With only a preview to draw, render only what it shows.
  num_examples = _COUNT.value if _OUT_DIR.value else min(_COUNT.value, num_shown)

  start = time.perf_counter()
  drawn = synthetic.drawn(clock.FLAGS.designs, clock.FLAGS.held_out_styles, 'eval')
  synthetic.make_clocks(1, _RENDER_SEED.value, **drawn)  # compiles: every count renders same-shaped chunks
  warm = time.perf_counter()
  images, labels = synthetic.make_clocks(num_examples, _RENDER_SEED.value, **drawn)
  end = time.perf_counter()
  print(f'rendered {num_examples} clocks of {render.IMAGE_SIZE}x{render.IMAGE_SIZE} in {end - warm:.1f} s: '
        f'{num_examples / (end - warm):.0f} images/s after compile '
        f'({end - start:.1f} s wall including compile and warm-up)')

  if _OUT_DIR.value:
    datasets.save_leiden(_OUT_DIR.value, images, labels)
    print(f'wrote {os.path.join(_OUT_DIR.value, "images.npy")} and labels.npy')
  if _PREVIEW.value:
    shown, titles = images[:num_shown], [f'{h}:{m:02d}' for h, m in labels[:num_shown]]
    if real is not None:
      real_images = pictures.resize_images(real[0][:len(shown)], render.IMAGE_SIZE)
      shown, titles = alternate_rows(real_images, [f'real {h}:{m:02d}' for h, m in real[1]], shown, titles)
    plots.save_image_grid(_PREVIEW.value, shown, titles, ncols=_PREVIEW_COLUMNS)
    print(f'wrote {_PREVIEW.value}')


def alternate_rows(real_images, real_titles, images, titles):
  """A row of real photos, then a row of as many renders, and so on: the tiles and their titles (a short last row
  of real photos is padded with blank tiles, so that its renders start a row of their own)."""
  tiles, tile_titles = [], []
  for start in range(0, len(images), _PREVIEW_COLUMNS):
    end = start + _PREVIEW_COLUMNS
    padding = max(0, end - len(images))
    tiles += [real_images[start:end], np.full((padding, *images.shape[1:]), 255, images.dtype), images[start:end]]
    tile_titles += list(real_titles[start:end]) + [''] * padding + list(titles[start:end])
  return np.concatenate(tiles), tile_titles


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
