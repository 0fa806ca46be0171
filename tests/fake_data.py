"""Tiny Task 1 data sets in their original file formats, random pixels, for tests that run the loaders."""
import gzip
import pathlib
import pickle

import numpy as np

CIFAR10_FILES = [f'data_batch_{i}' for i in range(1, 6)] + ['test_batch']


def idx_bytes(array: np.ndarray) -> bytes:
  """An IDX file: the magic number (unsigned bytes, `array.ndim` dimensions), the big-endian shape, the data."""
  return bytes([0, 0, 8, array.ndim]) + np.array(array.shape, '>u4').tobytes() + array.astype(np.uint8).tobytes()


def fashion_mnist_arrays(num_train: int = 64, num_test: int = 32) -> dict[str, np.ndarray]:
  """What write_fashion_mnist writes, by file stem: random pixels, labels counting 0-9 over and over."""
  rng = np.random.default_rng(0)
  arrays = {}
  for prefix, count in (('train', num_train), ('t10k', num_test)):
    arrays[f'{prefix}-images-idx3-ubyte'] = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8)
    arrays[f'{prefix}-labels-idx1-ubyte'] = np.arange(count, dtype=np.uint8) % 10
  return arrays


def write_fashion_mnist(folder: pathlib.Path, num_train: int = 64, num_test: int = 32, *,
                        compress: bool = True) -> pathlib.Path:
  """The four IDX files of fashion_mnist_arrays, gzipped as distributed (or not), in `folder`."""
  folder.mkdir(parents=True, exist_ok=True)
  for stem, array in fashion_mnist_arrays(num_train, num_test).items():
    data = idx_bytes(array)
    if compress:
      (folder / f'{stem}.gz').write_bytes(gzip.compress(data))
    else:
      (folder / stem).write_bytes(data)
  return folder


def write_cifar10(folder: pathlib.Path, per_batch: int = 16, marked_pixel: tuple[int, int, int] | None = None
                  ) -> pathlib.Path:
  """The five training batches and the test batch of the python version (rows of R, G and B planes, each 32x32
  row-major), random pixels, in `folder`; with `marked_pixel` (row, column, channel) the first test image is black
  but for that one value, 255."""
  rng = np.random.default_rng(0)
  folder.mkdir(parents=True, exist_ok=True)
  for name in CIFAR10_FILES:
    data = rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
    if name == 'test_batch' and marked_pixel:
      row, column, channel = marked_pixel
      data[0] = 0
      data[0, channel * 1024 + row * 32 + column] = 255
    batch = {b'batch_label': name.encode(), b'labels': [i % 10 for i in range(per_batch)], b'data': data,
             b'filenames': [f'{name}_{i}.png'.encode() for i in range(per_batch)]}
    (folder / name).write_bytes(pickle.dumps(batch))
  return folder
