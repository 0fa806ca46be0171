"""The Leiden tell-the-time clock files, and the synthetic clock datasets that stand in for them.

Nobody has the real photos at hand, so the training data are look-alikes (`render`), rendered once into an
on-disk cache; the loader reads the real Leiden layout (or ours) at 150 or 75 px for evaluation and training.
"""
import functools
import os

import jax
import jax.numpy as jnp
import numpy as np
from PIL import Image

from timeread_jax import files
from timeread_jax import render
from timeread_jax.errors import DataError
from timeread_jax.datasets import shuffle_split
from timeread_jax.datasets import Splits

IMAGE_SIZE = render.IMAGE_SIZE
LEIDEN_SIZES = (150, 75)  # the course ships the photos at both
CHUNK_SIZE = 256  # images per jitted call in make_clocks: bounds memory, amortises dispatch
SYNTHETIC_SIZE = 18_000  # as many as the Leiden set
SYNTHETIC_SEED = 0  # one synthetic set for every run, so that runs with different seeds share a test set
TEST_FRACTION = 0.2  # the report's 80/20 split
VAL_FRACTION = 0.1  # of the training part, unless a validation size is given



@functools.partial(jax.jit, static_argnames=('image_size', 'styles'))
def _render_indexed(key, indices, labels, image_size, styles):
  """Example i depends only on (key, i), so a dataset does not change with the chunking that made it."""
  keys = jax.vmap(jax.random.fold_in, in_axes=(None, 0))(key, indices)
  return jax.vmap(lambda k, label: render.render_one(k, label, image_size, styles=styles))(keys, labels)


def make_clocks(num_examples: int, seed: int, image_size: int = IMAGE_SIZE, *, styles: str = 'all',
                chunk_size: int = CHUNK_SIZE) -> tuple[np.ndarray, np.ndarray]:
  """A synthetic dataset: images uint8 (N, S, S) and labels int64 (N, 2), a function of `seed` alone.

  The labels depend on `seed` only, so the same seed with other `styles` shows the same times.
  """
  label_key, image_key = jax.random.split(jax.random.key(seed))
  labels = np.asarray(render.random_labels(label_key, num_examples), np.int64)
  images = np.empty((num_examples, image_size, image_size), np.uint8)
  # Every call renders whole chunks, the last one padded with its final index: one compiled program per picture
  # size, whatever the count. Three clocks cost a chunk's rendering (0.7 s at 150 px on 2 cores), not a compile (10 s).
  for start in range(0, num_examples, chunk_size):
    indices = np.minimum(np.arange(start, start + chunk_size), num_examples - 1)
    rendered = _render_indexed(image_key, indices, labels[indices], image_size, styles)
    images[start:start + chunk_size] = np.asarray(rendered)[:num_examples - start]
  return images, labels


def cached_clocks(num_examples: int, seed: int, cache_dir: str, styles: str = 'all') -> tuple[np.ndarray, np.ndarray]:
  """make_clocks(num_examples, seed, styles=styles) at IMAGE_SIZE, rendered once and then read from `cache_dir`."""
  name = f'clocks-n{num_examples}-seed{seed}-{IMAGE_SIZE}px-v{render.GENERATOR_VERSION}'
  path = os.path.join(cache_dir, name + ('' if styles == 'all' else f'-{styles}') + '.npz')
  if os.path.exists(path):
    try:
      with np.load(path, allow_pickle=False) as cached:
        return cached['images'], cached['labels']
    except (OSError, ValueError, KeyError) as error:
      raise DataError(f'{path}: unreadable cache entry ({_first_line(error)}); delete it to render again') from None
  images, labels = make_clocks(num_examples, seed, styles=styles)
  os.makedirs(cache_dir, exist_ok=True)
  files.write_atomically(path, lambda file: np.savez(file, images=images, labels=labels))
  return images, labels


def cache_dir() -> str:
  """Where rendered datasets are kept: $TIMEREAD_CACHE, else ~/.cache/timeread_jax."""
  return os.environ.get('TIMEREAD_CACHE') or os.path.join(os.path.expanduser('~'), '.cache', 'timeread_jax')


def load_splits(data_dir: str, *, num_examples: int, seed: int, image_size: int, val_size: int,
                held_out_styles: bool = False) -> Splits:
  """The report's clock splits of the Leiden photos in `data_dir` or, with no `data_dir`, of the synthetic set.

  `num_examples` keeps the first N examples (0: all; the synthetic set renders just N); the split is shuffled
  by `seed`: 20% test, then `val_size` (0: 10%) of the rest for validation. `held_out_styles` (synthetic only)
  shows the training split in the seen dial styles and floors, validation and test in the unseen ones.
  """
  if data_dir:
    images, labels = load_leiden(data_dir)
    if num_examples:
      images, labels = images[:num_examples], labels[:num_examples]
  else:
    styles = 'seen' if held_out_styles else 'all'
    images, labels = cached_clocks(num_examples or SYNTHETIC_SIZE, SYNTHETIC_SEED, cache_dir(), styles)
  num_train = len(images) - int(round(len(images) * TEST_FRACTION))
  split = lambda images: shuffle_split(reader_pictures(images, image_size), labels.astype(np.int32), seed=seed,
                                       test_fraction=TEST_FRACTION,
                                       val_size=val_size or max(1, int(round(num_train * VAL_FRACTION))))
  splits = split(images)
  if data_dir or not held_out_styles:
    return splits
  unseen = split(cached_clocks(num_examples or SYNTHETIC_SIZE, SYNTHETIC_SEED, cache_dir(), 'unseen')[0])
  return Splits(train=splits.train, val=unseen.val, test=unseen.test)  # the same times, other looks


def save_leiden(out_dir: str, images: np.ndarray, labels: np.ndarray) -> None:
  """Writes `out_dir`/images.npy and labels.npy, the layout load_leiden reads."""
  os.makedirs(out_dir, exist_ok=True)
  files.write_atomically(os.path.join(out_dir, 'images.npy'), lambda file: np.save(file, images))
  files.write_atomically(os.path.join(out_dir, 'labels.npy'), lambda file: np.save(file, labels))


def load_leiden(data_dir: str) -> tuple[np.ndarray, np.ndarray]:
  """The Leiden clocks (or save_leiden's): images uint8 (N, S, S) with S 150 or 75, labels int64 (N, 2) =
  (hour, minute)."""
  if not os.path.isdir(data_dir):
    raise DataError(f'{data_dir}: no such directory; it should hold images.npy and labels.npy')
  images_path = os.path.join(data_dir, 'images.npy')
  labels_path = os.path.join(data_dir, 'labels.npy')
  images, labels = _load_array(images_path), _load_array(labels_path)
  if images.ndim == 4 and images.shape[-1] == 1:
    images = images[..., 0]
  if images.ndim != 3 or images.shape[1:] not in [(size, size) for size in LEIDEN_SIZES] or not len(images):
    raise DataError(f'{images_path}: shape {images.shape}, expected (N, 150, 150) or (N, 75, 75) with N > 0')
  if images.dtype != np.uint8:
    # NaN is worth naming apart from the dtype: a cast to uint8 would quietly make it an arbitrary grey level.
    non_finite = ~np.isfinite(images) if np.issubdtype(images.dtype, np.inexact) else np.zeros(0, bool)
    if non_finite.any():
      raise DataError(f'{images_path}: {np.count_nonzero(non_finite)} NaN or infinite {images.dtype} pixels (first '
                      f'in image {np.argwhere(non_finite)[0, 0]}), expected uint8 grey levels 0-255')
    raise DataError(f'{images_path}: dtype {images.dtype}, expected uint8 grey levels 0-255')
  if not np.issubdtype(labels.dtype, np.integer):
    raise DataError(f'{labels_path}: dtype {labels.dtype}, expected integers (hour, minute)')
  if labels.ndim != 2 or labels.shape[1] != 2:
    raise DataError(f'{labels_path}: shape {labels.shape}, expected (N, 2) rows of (hour, minute)')
  if len(labels) != len(images):
    raise DataError(f'{labels_path}: {len(labels)} labels for the {len(images)} images in {images_path}')
  for column, name, limit in ((0, 'hour', 12), (1, 'minute', 60)):
    bad = np.flatnonzero((labels[:, column] < 0) | (labels[:, column] >= limit))
    if len(bad):
      raise DataError(f'{labels_path}: row {bad[0]} has {name} {labels[bad[0], column]}, outside 0-{limit - 1}')
  return images, labels.astype(np.int64)


def resize_images(images, image_size: int):
  """uint8 (N, S, S) at image_size: block means for integer factors (150 -> 75), else an area-like filter when
  shrinking and a bilinear one when enlarging (75 -> 150).

  numpy in, numpy out (stored data); a jax array in, a jax array out (fresh batches inside a jitted step).
  """
  size = images.shape[1]
  if size == image_size:
    return images
  xp = np if isinstance(images, np.ndarray) else jnp
  if size % image_size == 0:
    factor = size // image_size
    blocks = images.reshape(len(images), image_size, factor, image_size, factor)
    sums = blocks.sum(axis=(2, 4), dtype=xp.uint32)
    return ((sums + factor * factor // 2) // (factor * factor)).astype(xp.uint8)
  if xp is jnp:
    resized = jax.image.resize(images.astype(jnp.float32), (len(images), image_size, image_size), 'linear')
    return jnp.round(resized).astype(jnp.uint8)  # jax.image.resize antialiases when shrinking
  resized = np.empty((len(images), image_size, image_size), np.uint8)
  resample = Image.Resampling.BOX if image_size < size else Image.Resampling.BILINEAR
  for index, image in enumerate(images):
    resized[index] = Image.fromarray(image).resize((image_size, image_size), resample)
  return resized


def some_through_75px(key: jax.Array, images: jax.Array, probability: float) -> jax.Array:
  """uint8 150 px pictures (N, 150, 150), a `probability` of them as a 150 px reader sees a 75 px photo of them,
  on the device: halved by block means as the course's 75 px files were made, enlarged back and stretched
  (reader_pictures); blurrier than any 150 px render, as the real development photos reach a 150 px reader."""
  images = jnp.asarray(images)  # resize_images takes numpy's path for numpy arrays
  enlarged = resize_images(resize_images(images, 75), images.shape[1]).astype(jnp.float32)
  seen = _stretched(enlarged).astype(jnp.uint8)
  return jnp.where(jax.random.bernoulli(key, probability, (len(images), 1, 1)), seen, images)


def reader_pictures(images: np.ndarray, image_size: int, chunk_size: int = 1024) -> np.ndarray:
  """uint8 (N, S, S) as every reader sees them, in training and after: at image_size (resize_images), each
  min-max stretched to 0-255 as the renderer leaves a picture at any size.

  Halving a stretched 150 px picture narrows its range (the synthetic 75 px splits and most Leiden 75 px files
  span less than 0-255), so without the stretch a 75 px reader of fresh clocks would read dimmer pictures than
  it learned on.
  """
  resized = resize_images(images, image_size)
  stretched = np.empty_like(resized)
  for start in range(0, len(resized), chunk_size):  # float copies of a chunk, not of the whole set
    stretched[start:start + chunk_size] = _stretched(resized[start:start + chunk_size].astype(np.float32))
  return stretched


def _stretched(pictures):
  """float pictures (N, S, S), numpy or jax, each min-max stretched to 0-255 and rounded (a flat one to 0)."""
  xp = np if isinstance(pictures, np.ndarray) else jnp
  low, high = pictures.min((1, 2), keepdims=True), pictures.max((1, 2), keepdims=True)
  return xp.round(255 * (pictures - low) / xp.maximum(high - low, 1))


def _load_array(path: str) -> np.ndarray:
  if not os.path.isfile(path):
    raise DataError(f'{path}: file not found')
  try:
    array = np.load(path, allow_pickle=False)
  except (OSError, ValueError, EOFError) as error:
    raise DataError(f'{path}: not a readable .npy file ({_first_line(error)})') from None
  if not isinstance(array, np.ndarray):
    raise DataError(f'{path}: holds an archive of arrays, expected a single .npy array')
  return array


def _first_line(error: Exception) -> str:
  return (str(error).splitlines() or [type(error).__name__])[0]
