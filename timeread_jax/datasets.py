"""Datasets as host arrays, and the report's train/validation/test splits.

Every loader returns a `Splits` of numpy arrays; `train.py` moves them to the device once.
"""
import dataclasses

import numpy as np


class DataError(ValueError):
  """A user-facing problem with input data; its message is one line that names the file and the fix."""


@dataclasses.dataclass(frozen=True)
class Splits:
  """(images, labels) pairs for each split; images keep their stored dtype (uint8 or float32)."""
  train: tuple[np.ndarray, np.ndarray]
  val: tuple[np.ndarray, np.ndarray]
  test: tuple[np.ndarray, np.ndarray]


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
