"""Every data set's files as host arrays, and the report's train/validation/test splits of them: Fashion-MNIST,
CIFAR-10, the Leiden clock photos (or synthetic clocks in their place, `synthetic`).

`load_splits(config)` returns a run's `Splits` of numpy arrays; the training loop moves them to the device once.
"""
import dataclasses
import functools
import gzip
import importlib.util
import math
import pathlib
import pickle
import zlib
from collections.abc import Callable, Sequence

import os

import numpy as np

from timeread_jax import files
from timeread_jax import pictures
from timeread_jax import synthetic
from timeread_jax.config import Config
from timeread_jax.errors import DataError
from timeread_jax.errors import first_line


@dataclasses.dataclass(frozen=True)
class Splits:
  """(images, labels) pairs for each split; images keep their stored dtype (uint8 or float32)."""
  train: tuple[np.ndarray, np.ndarray]
  val: tuple[np.ndarray, np.ndarray]
  test: tuple[np.ndarray, np.ndarray]


LEIDEN_SIZES = (150, 75)  # the course ships the photos at both
CLOCK_TEST_FRACTION = 0.2  # the report's 80/20 split
CLOCK_VAL_FRACTION = 0.1  # of the training part, unless a validation size is given


def load_splits(config: Config) -> Splits:
  """The run's train, validation and test splits as host arrays."""
  if config.data == 'clocks':
    return _clock_splits(config)
  loaders = {'fashion_mnist': load_fashion_mnist, 'cifar10': load_cifar10}
  val_size = {'val_size': config.val_size} if config.val_size else {}
  splits = loaders[config.data](config.data_dir or None, seed=config.seed, **val_size)
  if config.num_examples:
    splits = Splits(*[(images[:config.num_examples], labels[:config.num_examples])
                      for images, labels in (splits.train, splits.val, splits.test)])
  return standardize(splits) if config.standardize else splits


def _clock_splits(config: Config) -> Splits:
  """The report's clock splits of the Leiden photos in `config.data_dir` or, with none, of the synthetic set.

  `num_examples` keeps the first N examples (0: all; the synthetic set renders just N); the split is shuffled
  by `seed`: 20% test, then `val_size` (0: 10%) of the rest for validation. With `held_out_styles` (synthetic
  only), validation and test show the same times in what training does not see (`synthetic.drawn`).
  """
  if config.data_dir:
    images, labels = load_leiden(config.data_dir)
    if config.num_examples:
      images, labels = images[:config.num_examples], labels[:config.num_examples]
  else:
    images, labels = _synthetic(config, 'train')
  num_train = len(images) - int(round(len(images) * CLOCK_TEST_FRACTION))
  split = lambda images: shuffle_split(
      pictures.reader_pictures(images, config.image_size), labels.astype(np.int32), seed=config.seed,
      test_fraction=CLOCK_TEST_FRACTION, val_size=config.val_size or max(1, int(round(num_train * CLOCK_VAL_FRACTION))))
  splits = split(images)
  if config.data_dir or not config.held_out_styles:
    return splits
  unseen = split(_synthetic(config, 'eval')[0])
  return Splits(train=splits.train, val=unseen.val, test=unseen.test)  # the same times, other looks


def _synthetic(config: Config, split: str) -> tuple[np.ndarray, np.ndarray]:
  return synthetic.cached_clocks(config.num_examples or synthetic.SIZE, synthetic.SEED, synthetic.cache_dir(),
                                 **synthetic.drawn(config.designs, config.held_out_styles, split))


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


def standardize(splits: Splits) -> Splits:
  """Each pixel centred and scaled by its mean and standard deviation over the training images, as Géron's
  notebooks prepare Fashion-MNIST; validation and test use the training statistics."""
  train_images = splits.train[0]
  mean = train_images.mean(axis=0, dtype=np.float64)
  std = train_images.std(axis=0, dtype=np.float64) + 1e-7
  scaled = lambda images, labels: (((images - mean) / std).astype(np.float32), labels)
  return Splits(train=scaled(*splits.train), val=scaled(*splits.val), test=scaled(*splits.test))


def carve_validation(train, test, *, seed: int, val_size: int) -> Splits:
  """Moves a seeded random `val_size` examples of `train` into a validation split."""
  images, labels = train
  if not 0 < val_size < len(images):
    raise DataError(f'validation size {val_size} must be between 1 and {len(images) - 1}')
  order = np.random.default_rng(seed).permutation(len(images))
  val, keep = np.sort(order[:val_size]), np.sort(order[val_size:])
  return Splits(train=(images[keep], labels[keep]), val=(images[val], labels[val]), test=test)


def shuffle_split(images, labels, *, seed: int, test_fraction: float, val_size: int) -> Splits:
  """The report's clock split: shuffle, hold out `test_fraction` for test, then carve validation from train."""
  order = np.random.default_rng(seed).permutation(len(images))
  num_test = int(round(len(images) * test_fraction))
  test, train = order[:num_test], order[num_test:]
  return carve_validation((images[train], labels[train]), (images[test], labels[test]),
                          seed=seed + 1, val_size=val_size)


FASHION_MNIST_VAL_SIZE = 6000
CIFAR10_VAL_SIZE = 5000

_DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist'
_IDX_STEMS = ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte',
              't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')
_IDX_UNSIGNED_BYTE = 0x08
_FASHION_MNIST_HOW_TO_GET = ('get it with `apt-get install dataset-fashion-mnist`, or pass --data_dir with the four '
                             f'IDX files ({", ".join(f"{stem}[.gz]" for stem in _IDX_STEMS)})')

_CIFAR10_FOLDER = 'cifar-10-batches-py'
_CIFAR10_FILES = ('data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5', 'test_batch')
_CIFAR10_HOW_TO_GET = ('get cifar-10-python.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html, extract it and '
                       f'pass --data_dir with its {_CIFAR10_FOLDER} folder, or prepare it with `tfds build cifar10`')

# TFDS splits are read in chunks, not with batch_size=-1: without split sizes in its metadata (as under
# tfds.testing.mock_data) that asks TensorFlow for a batch of sys.maxsize, which aborts the process.
_TFDS_CHUNK_SIZE = 10_000

_ImagesAndLabels = tuple[np.ndarray, np.ndarray]
_TrainAndTest = tuple[_ImagesAndLabels, _ImagesAndLabels]


def load_fashion_mnist(data_dir: str | None = None, *, seed: int, val_size: int = FASHION_MNIST_VAL_SIZE) -> Splits:
  """Fashion-MNIST as (N, 28, 28, 1) float32 in [0, 1] with int32 labels; validation is carved from train.

  Looks in `data_dir` (IDX files), then Debian's dataset-fashion-mnist, then an already prepared TFDS copy.
  """
  folders = [data_dir] if data_dir else []
  sources = [functools.partial(_fashion_mnist_from_idx, folder) for folder in (*folders, _DEBIAN_FASHION_MNIST_DIR)]
  sources.append(functools.partial(_from_tfds, 'fashion_mnist', data_dir))
  train, test = _first_found('Fashion-MNIST', sources, _FASHION_MNIST_HOW_TO_GET)
  return _as_splits(train, test, seed=seed, val_size=val_size)


def load_cifar10(data_dir: str | None = None, *, seed: int, val_size: int = CIFAR10_VAL_SIZE) -> Splits:
  """CIFAR-10 as (N, 32, 32, 3) float32 in [0, 1] with int32 labels; validation is carved from train.

  Looks in `data_dir` (the python-version pickles, or the folder above them), then an already prepared TFDS copy.
  """
  sources = [functools.partial(_cifar10_from_pickles, data_dir)] if data_dir else []
  sources.append(functools.partial(_from_tfds, 'cifar10', data_dir))
  train, test = _first_found('CIFAR-10', sources, _CIFAR10_HOW_TO_GET)
  return _as_splits(train, test, seed=seed, val_size=val_size)


class _NotFound(Exception):
  """A source without the data set; its message says where we looked, for the error if no source has it."""


def _first_found(dataset: str, sources: Sequence[Callable[[], _TrainAndTest]], how_to_get: str) -> _TrainAndTest:
  """(train, test) from the first source that has them; a missing source moves on, a corrupt one stops."""
  looked = []
  for source in sources:
    try:
      return source()
    except _NotFound as missing:
      looked.append(str(missing))
  raise DataError(f'{dataset} not found (looked in {"; ".join(looked)}); {how_to_get}')


def _as_splits(train: _ImagesAndLabels, test: _ImagesAndLabels, *, seed: int, val_size: int) -> Splits:
  """Scales uint8 images to float32 in [0, 1] here, so every model and source gives the same inputs."""
  def scaled(images, labels):
    return np.divide(images, 255, dtype=np.float32), labels.astype(np.int32)
  return carve_validation(scaled(*train), scaled(*test), seed=seed, val_size=val_size)


def _fashion_mnist_from_idx(folder: str) -> _TrainAndTest:
  """Reads the four IDX files; all must be present before any is read, so a partial folder counts as missing."""
  folder = pathlib.Path(folder)
  if not folder.is_dir():
    raise _NotFound(f'{folder} (no such folder)')
  paths = [_gz_or_raw(folder, stem) for stem in _IDX_STEMS]
  missing = [f'{stem}[.gz]' for stem, path in zip(_IDX_STEMS, paths) if path is None]
  if missing:
    raise _NotFound(f'{folder} (no {", ".join(missing)})')
  train_images, train_labels, test_images, test_labels = paths
  return _idx_pair(train_images, train_labels), _idx_pair(test_images, test_labels)


def _gz_or_raw(folder: pathlib.Path, stem: str) -> pathlib.Path | None:
  for path in (folder / f'{stem}.gz', folder / stem):
    if path.is_file():
      return path
  return None


def _idx_pair(images_path: pathlib.Path, labels_path: pathlib.Path) -> _ImagesAndLabels:
  images, labels = _read_idx(images_path, item_shape=(28, 28)), _read_idx(labels_path, item_shape=())
  if len(images) != len(labels):
    raise DataError(f'{images_path} has {len(images)} images but {labels_path} has {len(labels)} labels; '
                    'replace them with an intact pair')
  return images[..., np.newaxis], labels


def _read_idx(path: pathlib.Path, item_shape: tuple[int, ...]) -> np.ndarray:
  """Parses an IDX file of unsigned bytes, checking its header against its size to catch truncation."""
  data = _read_bytes(path)
  ndim = 1 + len(item_shape)
  header_size = 4 + 4 * ndim
  magic = bytes([0, 0, _IDX_UNSIGNED_BYTE, ndim])
  if len(data) < header_size or data[:4] != magic:
    raise DataError(f'{path}: not a {ndim}-D IDX file of unsigned bytes (magic number 0x{data[:4].hex()}, '
                    f'expected 0x{magic.hex()}); replace it with an intact copy')
  shape = tuple(int(size) for size in np.frombuffer(data, '>u4', count=ndim, offset=4))
  if shape[1:] != item_shape or len(data) != header_size + math.prod(shape):
    raise DataError(f'{path}: {len(data)} bytes do not match its header\'s shape {shape} (items should be '
                    f'{item_shape}): truncated or corrupt; replace it with an intact copy')
  return np.frombuffer(data, np.uint8, offset=header_size).reshape(shape)


def _read_bytes(path: pathlib.Path) -> bytes:
  try:
    if path.suffix == '.gz':
      with gzip.open(path) as file:
        return file.read()
    return path.read_bytes()
  except (OSError, EOFError, zlib.error) as error:
    raise DataError(f'{path}: unreadable ({error}); replace it with an intact copy') from error


def _cifar10_from_pickles(data_dir: str) -> _TrainAndTest:
  """Reads the python-version batches from `data_dir` or from its cifar-10-batches-py subfolder."""
  folder = pathlib.Path(data_dir)
  if (folder / _CIFAR10_FOLDER).is_dir():
    folder = folder / _CIFAR10_FOLDER
  missing = [name for name in _CIFAR10_FILES if not (folder / name).is_file()]
  if missing:
    raise _NotFound(f'{folder} (no {", ".join(missing)})')
  *train_batches, test_batch = [_read_cifar10_batch(folder / name) for name in _CIFAR10_FILES]
  train_images, train_labels = zip(*train_batches)
  return (np.concatenate(train_images), np.concatenate(train_labels)), test_batch


def _read_cifar10_batch(path: pathlib.Path) -> _ImagesAndLabels:
  """One pickled batch; rows are channel-first (R, G, B planes of 32x32), returned channels-last.

  Unpickling runs code from the file: point `data_dir` only at copies you trust.
  """
  try:
    with open(path, 'rb') as file:
      batch = pickle.load(file, encoding='bytes')
    data, labels = np.asarray(batch[b'data']), np.asarray(batch[b'labels'])
  except Exception as error:  # pylint: disable=broad-except  # damaged pickles raise almost any type
    raise DataError(f'{path}: unreadable CIFAR-10 batch ({type(error).__name__}: {error}); '
                    'replace it with an intact copy') from error
  if labels.ndim != 1 or data.dtype != np.uint8 or data.shape != (len(labels), 3 * 32 * 32):
    raise DataError(f'{path}: expected uint8 data of shape (N, 3072) and N labels, got {data.dtype} {data.shape} '
                    f'and {labels.shape}; replace it with an intact copy')
  return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels


def _from_tfds(name: str, data_dir: str | None) -> _TrainAndTest:
  """(train, test) of a TFDS data set, only if already prepared.

  Never downloads: with no network, TFDS retries each file with backoff for about 3.5 minutes before failing.
  """
  try:
    import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  except ImportError as error:
    raise _NotFound(f'TFDS (cannot import it: {error})') from None
  builder = tfds.builder(name, data_dir=data_dir)
  if not builder.is_prepared():
    raise _NotFound(f'TFDS {builder.data_dir} (not prepared)')
  if importlib.util.find_spec('tensorflow') is None:
    raise _NotFound(f'TFDS {builder.data_dir} (prepared, but reading it needs tensorflow, not installed)')
  return _tfds_split(builder, 'train'), _tfds_split(builder, 'test')


def _tfds_split(builder, split: str) -> _ImagesAndLabels:
  chunks = builder.as_dataset(split=split, as_supervised=True, batch_size=_TFDS_CHUNK_SIZE).as_numpy_iterator()
  images, labels = zip(*chunks)
  return np.concatenate(images), np.concatenate(labels)


def _load_array(path: str) -> np.ndarray:
  if not os.path.isfile(path):
    raise DataError(f'{path}: file not found')
  try:
    array = np.load(path, allow_pickle=False)
  except (OSError, ValueError, EOFError) as error:
    raise DataError(f'{path}: not a readable .npy file ({first_line(error)})') from None
  if not isinstance(array, np.ndarray):
    raise DataError(f'{path}: holds an archive of arrays, expected a single .npy array')
  return array
