"""Tests for the splits and the data loaders, on tiny files written per test: no network, no real data."""
import gzip
import pickle
import time

import os
import numpy as np
import pytest

from tests.fake_data import fashion_mnist_arrays
from tests.fake_data import idx_bytes
from tests.fake_data import write_cifar10
from tests.fake_data import write_fashion_mnist
from timeread_jax import datasets
from timeread_jax import pictures
from timeread_jax.config import Config
from timeread_jax.errors import DataError

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


def _leiden(tmp_path, images=None, labels=None):
  images = np.zeros((4, 150, 150), np.uint8) if images is None else images
  labels = np.array([[0, 0], [11, 59], [3, 40], [9, 5]]) if labels is None else labels
  datasets.save_leiden(str(tmp_path), images, labels)
  return str(tmp_path)


def test_save_then_load_leiden_round_trips(tmp_path):
  images = np.random.default_rng(0).integers(0, 256, (4, 150, 150), dtype=np.uint8)
  loaded_images, loaded_labels = datasets.load_leiden(_leiden(tmp_path, images))
  np.testing.assert_array_equal(loaded_images, images)
  np.testing.assert_array_equal(loaded_labels, [[0, 0], [11, 59], [3, 40], [9, 5]])
  assert loaded_labels.dtype == np.int64
  assert sorted(os.listdir(tmp_path)) == ['images.npy', 'labels.npy']  # no temporary files left behind


def test_load_leiden_reads_the_75_px_files_too(tmp_path):
  images = np.random.default_rng(0).integers(0, 256, (3, 75, 75), dtype=np.uint8)
  loaded, _ = datasets.load_leiden(_leiden(tmp_path, images, np.array([[0, 0], [1, 1], [2, 2]])))
  np.testing.assert_array_equal(loaded, images)
  assert pictures.resize_images(loaded, 150).shape == (3, 150, 150)  # a 150 px reader reads them enlarged


def test_held_out_styles_show_the_same_times_in_other_dials_and_floors(tmp_path, monkeypatch):
  monkeypatch.setenv('TIMEREAD_CACHE', str(tmp_path))
  load = lambda held_out: datasets.load_splits(Config(
      experiment='held_out', data='clocks', model='clocknet', representation='twohead', num_examples=40, seed=0,
      image_size=75, val_size=4, held_out_styles=held_out))
  plain, held_out = load(False), load(True)
  for split in ('train', 'val', 'test'):
    np.testing.assert_array_equal(getattr(plain, split)[1], getattr(held_out, split)[1])
  assert not np.array_equal(plain.val[0], held_out.val[0]) and not np.array_equal(plain.test[0], held_out.test[0])


def test_load_leiden_accepts_a_channel_axis_and_any_integer_labels(tmp_path):
  data_dir = _leiden(tmp_path, np.zeros((4, 150, 150, 1), np.uint8),
                     np.array([[0, 0], [1, 1], [2, 2], [3, 3]], np.uint8))
  images, labels = datasets.load_leiden(data_dir)
  assert images.shape == (4, 150, 150) and labels.dtype == np.int64


def _truncate(path):
  with open(path, 'r+b') as file:
    file.truncate(os.path.getsize(path) // 2)


def _images_with_nan():
  images = np.zeros((4, 150, 150), np.float32)
  images[2, 10, 20] = np.nan
  return images


@pytest.mark.parametrize('damage, file_name, words', [
    (lambda d: os.remove(os.path.join(d, 'labels.npy')), 'labels.npy', 'not found'),
    (lambda d: _truncate(os.path.join(d, 'images.npy')), 'images.npy', 'not a readable .npy'),
    (lambda d: np.save(os.path.join(d, 'images.npy'), np.zeros((4, 150, 150), np.float32)), 'images.npy', 'uint8'),
    (lambda d: np.save(os.path.join(d, 'images.npy'), _images_with_nan()), 'images.npy',
     '1 NaN or infinite float32 pixels (first in image 2), expected uint8 grey levels 0-255'),
    (lambda d: np.save(os.path.join(d, 'images.npy'), np.zeros((4, 64, 64), np.uint8)), 'images.npy', 'shape'),
    (lambda d: np.save(os.path.join(d, 'labels.npy'), np.zeros((4, 3), int)), 'labels.npy', 'shape'),
    (lambda d: np.save(os.path.join(d, 'labels.npy'), np.zeros((4, 2), float)), 'labels.npy', 'integers'),
    (lambda d: np.save(os.path.join(d, 'labels.npy'), np.array([[0, 0], [12, 0], [0, 0], [0, 0]])),
     'labels.npy', 'hour 12'),
    (lambda d: np.save(os.path.join(d, 'labels.npy'), np.array([[0, 0], [0, 0], [0, 60], [0, 0]])),
     'labels.npy', 'minute 60'),
    (lambda d: np.save(os.path.join(d, 'labels.npy'), np.zeros((3, 2), int)), 'labels.npy', '3 labels for the 4'),
])
def test_load_leiden_names_the_file_and_the_problem(tmp_path, damage, file_name, words):
  data_dir = _leiden(tmp_path)
  damage(data_dir)
  with pytest.raises(DataError) as error:
    datasets.load_leiden(data_dir)
  message = str(error.value)
  assert os.path.join(data_dir, file_name) in message and words in message
  assert '\n' not in message


def test_load_leiden_missing_directory(tmp_path):
  with pytest.raises(DataError, match='no such directory'):
    datasets.load_leiden(str(tmp_path / 'absent'))
