"""Tiny Task 1 data sets in their original file formats, random pixels, for tests that run the loaders."""
import gzip
import pathlib
import pickle

import numpy as np


def write_fashion_mnist(folder: pathlib.Path, num_train: int = 64, num_test: int = 32) -> pathlib.Path:
  """The four gzipped IDX files with random pixels, in `folder`."""
  rng = np.random.default_rng(0)
  folder.mkdir(parents=True, exist_ok=True)
  for prefix, count in (('train', num_train), ('t10k', num_test)):
    for stem, array in ((f'{prefix}-images-idx3-ubyte', rng.integers(0, 256, (count, 28, 28), dtype=np.uint8)),
                        (f'{prefix}-labels-idx1-ubyte', np.arange(count, dtype=np.uint8) % 10)):
      header = bytes([0, 0, 8, array.ndim]) + np.array(array.shape, '>u4').tobytes()
      (folder / f'{stem}.gz').write_bytes(gzip.compress(header + array.tobytes()))
  return folder


def write_cifar10(folder: pathlib.Path, per_batch: int = 16) -> pathlib.Path:
  """The five training batches and the test batch of the python version, random pixels, in `folder`."""
  rng = np.random.default_rng(0)
  folder.mkdir(parents=True, exist_ok=True)
  for name in [f'data_batch_{i}' for i in range(1, 6)] + ['test_batch']:
    batch = {b'data': rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8),
             b'labels': [i % 10 for i in range(per_batch)]}
    (folder / name).write_bytes(pickle.dumps(batch))
  return folder
