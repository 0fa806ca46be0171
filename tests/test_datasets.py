"""Tests for the splits and the data loaders, on tiny files written per test: no network, no real data."""
import gzip
import pickle
import time

import jax
import numpy as np
import pytest

from tests.fake_data import fashion_mnist_arrays
from tests.fake_data import idx_bytes
from tests.fake_data import write_cifar10
from tests.fake_data import write_fashion_mnist
from timeread_jax import datasets

_NUM_TRAIN, _NUM_TEST, _VAL_SIZE = 12, 5, 3


@pytest.fixture(autouse=True)
def no_debian_copy(tmp_path, monkeypatch):
  """Points the Debian lookup at an absent folder, so results do not depend on what this machine installed."""
  debian_dir = tmp_path / 'debian'
  monkeypatch.setattr(datasets, '_DEBIAN_FASHION_MNIST_DIR', str(debian_dir))
  return debian_dir


def _assert_one_line_naming(error: pytest.ExceptionInfo, *parts: str) -> None:
  message = str(error.value)
  assert '\n' not in message
  for part in parts:
    assert part in message


def test_flip_and_shift_moves_whole_images_and_draws_both_flips():
  images = np.arange(64 * 6 * 5, dtype=np.float32).reshape(64, 6, 5) + 1  # every pixel distinct and nonzero
  out = np.asarray(datasets.flip_and_shift(jax.random.PRNGKey(0), images, max_shift=1))
  assert out.shape == images.shape
  flips = 0
  for image, moved in zip(images, out):
    matches = [(flip, dy, dx) for flip in (False, True) for dy in (-1, 0, 1) for dx in (-1, 0, 1)
               if np.array_equal(_shifted(image[:, ::-1] if flip else image, dy, dx), moved)]
    assert len(matches) == 1
    flips += matches[0][0]
  assert 0 < flips < len(images)


def _shifted(image, dy, dx):
  """`image` moved down by dy and right by dx, zeros where nothing moved in."""
  padded = np.pad(image, 1)
  return padded[1 - dy:1 - dy + image.shape[0], 1 - dx:1 - dx + image.shape[1]]


def test_standardize_scales_every_split_with_the_training_statistics():
  rng = np.random.default_rng(0)
  train = rng.uniform(size=(50, 4, 4, 1)).astype(np.float32) * np.arange(1, 17).reshape(1, 4, 4, 1)
  labels = np.arange(50)
  splits = datasets.standardize(datasets.Splits(train=(train, labels), val=(train[:5], labels[:5]),
                                                test=(train[5:] + 1, labels[5:])))
  images = splits.train[0]
  assert images.dtype == np.float32 and images.shape == train.shape
  np.testing.assert_allclose(images.mean(axis=0), 0, atol=1e-6)
  np.testing.assert_allclose(images.std(axis=0), 1, atol=1e-5)
  np.testing.assert_array_equal(splits.val[0], images[:5])  # the training statistics, not the split's own
  np.testing.assert_allclose(splits.test[0], images[5:] + 1 / train.std(axis=0), atol=1e-5)
  assert splits.train[1] is labels


def test_carve_validation_moves_a_seeded_disjoint_subset():
  ids = np.arange(20)
  test = (np.arange(5), np.arange(5))
  splits = datasets.carve_validation((ids, ids * 10), test, seed=0, val_size=4)
  (train_ids, train_labels), (val_ids, val_labels) = splits.train, splits.val
  assert (len(train_ids), len(val_ids)) == (16, 4)
  assert sorted([*train_ids, *val_ids]) == list(ids)
  np.testing.assert_array_equal(val_labels, val_ids * 10)
  np.testing.assert_array_equal(train_labels, train_ids * 10)
  assert splits.test is test
  same_seed = datasets.carve_validation((ids, ids), test, seed=0, val_size=4)
  other_seed = datasets.carve_validation((ids, ids), test, seed=1, val_size=4)
  np.testing.assert_array_equal(same_seed.val[0], val_ids)
  assert not np.array_equal(other_seed.val[0], val_ids)


@pytest.mark.parametrize('val_size', [0, 20])
def test_carve_validation_rejects_a_size_that_empties_a_split(val_size):
  ids = np.arange(20)
  with pytest.raises(datasets.DataError, match='validation size'):
    datasets.carve_validation((ids, ids), (ids, ids), seed=0, val_size=val_size)


def test_shuffle_split_makes_seeded_disjoint_splits():
  ids = np.arange(100)
  splits = datasets.shuffle_split(ids, ids * 10, seed=3, test_fraction=0.2, val_size=10)
  split_ids = [splits.train[0], splits.val[0], splits.test[0]]
  assert [len(part) for part in split_ids] == [70, 10, 20]
  assert sorted(np.concatenate(split_ids)) == list(ids)
  for images, labels in (splits.train, splits.val, splits.test):
    np.testing.assert_array_equal(labels, images * 10)
  same_seed = datasets.shuffle_split(ids, ids, seed=3, test_fraction=0.2, val_size=10)
  other_seed = datasets.shuffle_split(ids, ids, seed=4, test_fraction=0.2, val_size=10)
  np.testing.assert_array_equal(same_seed.test[0], splits.test[0])
  assert not np.array_equal(other_seed.test[0], splits.test[0])


@pytest.mark.parametrize('compress', [True, False])
def test_fashion_mnist_from_idx_files(tmp_path, compress):
  write_fashion_mnist(tmp_path, _NUM_TRAIN, _NUM_TEST, compress=compress)
  arrays = fashion_mnist_arrays(_NUM_TRAIN, _NUM_TEST)
  splits = datasets.load_fashion_mnist(str(tmp_path), seed=0, val_size=_VAL_SIZE)
  assert splits.train[0].shape == (_NUM_TRAIN - _VAL_SIZE, 28, 28, 1)
  assert splits.val[0].shape == (_VAL_SIZE, 28, 28, 1)
  assert splits.test[0].shape == (_NUM_TEST, 28, 28, 1)
  for images, labels in (splits.train, splits.val, splits.test):
    assert images.dtype == np.float32 and labels.dtype == np.int32
    assert 0 <= images.min() and images.max() <= 1
  np.testing.assert_allclose(splits.test[0][..., 0] * 255, arrays['t10k-images-idx3-ubyte'], atol=1e-4)
  np.testing.assert_array_equal(splits.test[1], arrays['t10k-labels-idx1-ubyte'])


def test_fashion_mnist_falls_back_to_the_debian_folder(tmp_path, no_debian_copy):
  write_fashion_mnist(no_debian_copy, _NUM_TRAIN, _NUM_TEST)
  (tmp_path / 'empty').mkdir()
  splits = datasets.load_fashion_mnist(str(tmp_path / 'empty'), seed=0, val_size=_VAL_SIZE)
  assert splits.test[0].shape == (_NUM_TEST, 28, 28, 1)


def test_fashion_mnist_missing_everywhere_says_where_it_looked_and_how_to_get_it(tmp_path, no_debian_copy):
  with pytest.raises(datasets.DataError) as error:
    datasets.load_fashion_mnist(str(tmp_path), seed=0)
  _assert_one_line_naming(error, str(tmp_path), str(no_debian_copy), 'TFDS',
                          'apt-get install dataset-fashion-mnist', '--data_dir')


def _bad_magic(data: bytes) -> bytes:
  return bytes([0, 0, 8, 9]) + data[4:]


def _truncated(data: bytes) -> bytes:
  return data[:-7]


@pytest.mark.parametrize('corrupt, compress', [
    (_bad_magic, False),
    (_truncated, False),
    (lambda data: gzip.compress(_truncated(data)), True),
    (lambda data: b'not gzip at all', True),
    (lambda data: _truncated(gzip.compress(data)), True),
], ids=['bad magic', 'truncated', 'truncated inside gzip', 'not gzip', 'truncated gzip'])
def test_fashion_mnist_corrupt_idx_names_the_file(tmp_path, corrupt, compress):
  write_fashion_mnist(tmp_path, _NUM_TRAIN, _NUM_TEST, compress=compress)
  path = tmp_path / ('train-labels-idx1-ubyte' + ('.gz' if compress else ''))
  path.write_bytes(corrupt(idx_bytes(fashion_mnist_arrays(_NUM_TRAIN, _NUM_TEST)['train-labels-idx1-ubyte'])))
  with pytest.raises(datasets.DataError) as error:
    datasets.load_fashion_mnist(str(tmp_path), seed=0, val_size=_VAL_SIZE)
  _assert_one_line_naming(error, str(path))


def test_fashion_mnist_images_and_labels_must_match_in_count(tmp_path):
  write_fashion_mnist(tmp_path, _NUM_TRAIN, _NUM_TEST)
  (tmp_path / 't10k-labels-idx1-ubyte.gz').write_bytes(gzip.compress(idx_bytes(np.zeros(_NUM_TEST + 1))))
  with pytest.raises(datasets.DataError) as error:
    datasets.load_fashion_mnist(str(tmp_path), seed=0, val_size=_VAL_SIZE)
  _assert_one_line_naming(error, 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz')


_PER_BATCH = 4
_MARKED_PIXEL = (2, 3, 1)  # row, column, channel of the one bright value in the first test image


@pytest.mark.parametrize('given', ['batches folder', 'parent folder'])
def test_cifar10_from_pickles(tmp_path, given):
  batches = tmp_path / 'cifar-10-batches-py'
  write_cifar10(batches, _PER_BATCH, _MARKED_PIXEL)
  splits = datasets.load_cifar10(str(batches if given == 'batches folder' else tmp_path), seed=0, val_size=_VAL_SIZE)
  assert splits.train[0].shape == (5 * _PER_BATCH - _VAL_SIZE, 32, 32, 3)
  assert splits.val[0].shape == (_VAL_SIZE, 32, 32, 3)
  assert splits.test[0].shape == (_PER_BATCH, 32, 32, 3)
  for images, labels in (splits.train, splits.val, splits.test):
    assert images.dtype == np.float32 and labels.dtype == np.int32
    assert 0 <= images.min() and images.max() <= 1
  first_test_image = splits.test[0][0]
  assert first_test_image[_MARKED_PIXEL] == 1
  assert first_test_image.sum() == 1


def test_cifar10_missing_says_where_it_looked_and_how_to_get_it(tmp_path):
  with pytest.raises(datasets.DataError) as error:
    datasets.load_cifar10(str(tmp_path), seed=0)
  _assert_one_line_naming(error, str(tmp_path), 'data_batch_1', 'TFDS', 'cifar-10-python.tar.gz')


@pytest.mark.parametrize('content', [
    b'not a pickle',
    pickle.dumps({b'data': np.zeros((2, 3000), np.uint8), b'labels': [0, 1]}),
    pickle.dumps({b'data': np.zeros((2, 3072), np.uint8), b'labels': [0]}),
    pickle.dumps([1, 2, 3]),
], ids=['not a pickle', 'rows not 3072 bytes', 'fewer labels than rows', 'not a dict'])
def test_cifar10_corrupt_batch_names_the_file(tmp_path, content):
  write_cifar10(tmp_path, _PER_BATCH)
  (tmp_path / 'data_batch_3').write_bytes(content)
  with pytest.raises(datasets.DataError) as error:
    datasets.load_cifar10(str(tmp_path), seed=0, val_size=_VAL_SIZE)
  _assert_one_line_naming(error, str(tmp_path / 'data_batch_3'))


def test_tfds_copy_that_is_not_prepared_is_passed_over_without_downloading(tmp_path):
  pytest.importorskip('tensorflow_datasets')
  start = time.monotonic()
  with pytest.raises(datasets.DataError) as error:
    datasets.load_cifar10(str(tmp_path), seed=0)
  _assert_one_line_naming(error, 'not prepared')
  assert time.monotonic() - start < 60  # a download attempt without network retries for minutes


@pytest.fixture
def mock_tfds(monkeypatch):
  """Random TFDS data that counts as prepared: mock_data alone leaves `is_prepared()` false."""
  tfds = pytest.importorskip('tensorflow_datasets')
  pytest.importorskip('tensorflow')
  monkeypatch.setattr(tfds.core.DatasetBuilder, 'is_prepared', lambda builder: True)
  with tfds.testing.mock_data(num_examples=_NUM_TRAIN):
    yield


@pytest.mark.usefixtures('mock_tfds')
@pytest.mark.parametrize('load, image_shape', [
    (datasets.load_fashion_mnist, (28, 28, 1)),
    (datasets.load_cifar10, (32, 32, 3)),
])
def test_tfds_copy_when_no_files(tmp_path, load, image_shape):
  splits = load(str(tmp_path), seed=0, val_size=_VAL_SIZE)
  assert splits.train[0].shape == (_NUM_TRAIN - _VAL_SIZE, *image_shape)
  assert splits.val[0].shape == (_VAL_SIZE, *image_shape)
  assert splits.test[0].shape == (_NUM_TRAIN, *image_shape)
  for images, labels in (splits.train, splits.val, splits.test):
    assert images.dtype == np.float32 and labels.dtype == np.int32
    assert 0 <= images.min() and images.max() <= 1


def test_erase_rectangles_erases_the_share_asked_for_and_keeps_channels_together():
  images = np.full((2000, 20, 20, 3), 300.0, np.float32)  # above any grey, so every erased pixel shows
  out = np.asarray(datasets.erase_rectangles(jax.random.PRNGKey(0), images, 0.3))
  erased = (out != 300).any(axis=(1, 2, 3))
  assert abs(erased.mean() - 0.3) < 0.04
  areas = (out[erased] != 300).all(-1).sum(axis=(1, 2)) / 400
  assert areas.min() >= 0.01 and areas.max() <= 0.2 and 0.06 < areas.mean() < 0.11
  assert np.array_equal(out[..., 0] != 300, out[..., 2] != 300)
