"""The synthetic clock sets that stand in for the Leiden photos: rendered (`render`) once into an on-disk cache.

Nobody has the real photos at hand, so the stored training data are look-alikes; `--fresh_data` renders new ones
inside the train step instead (`sources.FreshClocks`).
"""
import functools
import os

import jax
import numpy as np

from timeread_jax import files
from timeread_jax import render
from timeread_jax.errors import DataError
from timeread_jax.errors import first_line

CHUNK_SIZE = 256  # images per jitted call: bounds memory, amortises dispatch
SIZE = 18_000  # as many as the Leiden set
SEED = 0  # one synthetic set for every run, so that runs with different seeds share a test set


def drawn(designs: str, held_out: bool, split: str) -> dict[str, str]:
  """What the renderer draws for a split ('train' or 'eval') of a run on `designs`: its `styles` and `designs`.

  With `held_out`, training sees some of them and evaluation the others, a check that a change generalizes: the
  Leiden clock's dial styles and floors, or for every design, the designs themselves.
  """
  if not held_out:
    return {'styles': 'all', 'designs': designs}
  part = 'seen' if split == 'train' else 'unseen'
  return {'styles': part, 'designs': designs} if designs == 'leiden' else {'styles': 'all', 'designs': part}


@functools.partial(jax.jit, static_argnames=('image_size', 'styles', 'designs'))
def _render_indexed(key, indices, labels, image_size, styles, designs):
  """Example i depends only on (key, i), so a dataset does not change with the chunking that made it."""
  keys = jax.vmap(jax.random.fold_in, in_axes=(None, 0))(key, indices)
  return jax.vmap(lambda k, label: render.render_one(k, label, image_size, styles=styles, designs=designs))(
      keys, labels)


def make_clocks(num_examples: int, seed: int, image_size: int = render.IMAGE_SIZE, *, styles: str = 'all',
                designs: str = 'leiden', chunk_size: int = CHUNK_SIZE) -> tuple[np.ndarray, np.ndarray]:
  """A synthetic dataset: images uint8 (N, S, S) and labels int64 (N, 2), a function of `seed` alone.

  The labels depend on `seed` only, so the same seed with other `styles` or `designs` shows the same times.
  """
  label_key, image_key = jax.random.split(jax.random.key(seed))
  labels = np.asarray(render.random_labels(label_key, num_examples), np.int64)
  images = np.empty((num_examples, image_size, image_size), np.uint8)
  # Every call renders whole chunks, the last one padded with its final index: one compiled program per picture
  # size, whatever the count, so three clocks cost a chunk's rendering, not a compile.
  for start in range(0, num_examples, chunk_size):
    indices = np.minimum(np.arange(start, start + chunk_size), num_examples - 1)
    rendered = _render_indexed(image_key, indices, labels[indices], image_size, styles, designs)
    images[start:start + chunk_size] = np.asarray(rendered)[:num_examples - start]
  return images, labels


@functools.partial(jax.jit, static_argnames=('num', 'image_size', 'designs'))
def _render_no_clocks(key, num, image_size, designs):
  return render.render_no_clock(key, num, image_size, designs=designs)


def make_no_clocks(num_examples: int, seed: int, image_size: int = render.IMAGE_SIZE, *, designs: str = 'all',
                   chunk_size: int = CHUNK_SIZE) -> np.ndarray:
  """Pictures without a clock, uint8 (N, S, S), a function of `seed`: the negatives a presence output is validated
  on."""
  key = jax.random.key(seed)
  chunks = [_render_no_clocks(jax.random.fold_in(key, start), chunk_size, image_size, designs)
            for start in range(0, num_examples, chunk_size)]
  return np.concatenate([np.asarray(chunk) for chunk in chunks])[:num_examples]


def cached_clocks(num_examples: int, seed: int, cache_dir: str, styles: str = 'all',
                  designs: str = 'leiden') -> tuple[np.ndarray, np.ndarray]:
  """make_clocks(num_examples, seed, styles=..., designs=...) at render.IMAGE_SIZE, rendered once, then read from
  `cache_dir`."""
  name = f'clocks-n{num_examples}-seed{seed}-{render.IMAGE_SIZE}px-v{render.GENERATOR_VERSION}'
  name += ('' if styles == 'all' else f'-{styles}') + ('' if designs == 'leiden' else f'-designs-{designs}')
  path = os.path.join(cache_dir, name + '.npz')
  if os.path.exists(path):
    try:
      with np.load(path, allow_pickle=False) as cached:
        return cached['images'], cached['labels']
    except (OSError, ValueError, KeyError) as error:
      raise DataError(f'{path}: unreadable cache entry ({first_line(error)}); delete it to render again') from None
  images, labels = make_clocks(num_examples, seed, styles=styles, designs=designs)
  os.makedirs(cache_dir, exist_ok=True)
  files.write_atomically(path, lambda file: np.savez(file, images=images, labels=labels))
  return images, labels


def cache_dir() -> str:
  """Where rendered datasets are kept: $TIMEREAD_CACHE, else ~/.cache/timeread_jax."""
  return os.environ.get('TIMEREAD_CACHE') or os.path.join(os.path.expanduser('~'), '.cache', 'timeread_jax')
