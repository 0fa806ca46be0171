"""The Leiden clock files and the synthetic datasets: determinism, held-out styles, loader errors, the CLI."""
import os
import subprocess
import sys

import jax
import numpy as np
import pytest
from PIL import Image

from tests.test_clock_experiments import _run
from timeread_jax import clocks
from timeread_jax import render
from timeread_jax.errors import DataError

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_SMALL = 48  # image size for tests that only compare arrays: renders faster, same code path


def test_same_seed_same_clocks_other_seed_other_clocks():
  images, labels = clocks.make_clocks(6, seed=3, image_size=_SMALL)
  again_images, again_labels = clocks.make_clocks(6, seed=3, image_size=_SMALL)
  other_images, other_labels = clocks.make_clocks(6, seed=4, image_size=_SMALL)
  assert images.shape == (6, _SMALL, _SMALL) and images.dtype == np.uint8
  assert labels.shape == (6, 2) and labels.dtype == np.int64
  np.testing.assert_array_equal(images, again_images)
  np.testing.assert_array_equal(labels, again_labels)
  assert not np.array_equal(images, other_images)
  assert not np.array_equal(labels, other_labels)


def test_clocks_do_not_depend_on_chunk_size():
  whole, whole_labels = clocks.make_clocks(6, seed=3, image_size=_SMALL)
  chunked, chunked_labels = clocks.make_clocks(6, seed=3, image_size=_SMALL, chunk_size=4)  # last chunk padded
  np.testing.assert_array_equal(whole, chunked)
  np.testing.assert_array_equal(whole_labels, chunked_labels)


def _leiden(tmp_path, images=None, labels=None):
  images = np.zeros((4, 150, 150), np.uint8) if images is None else images
  labels = np.array([[0, 0], [11, 59], [3, 40], [9, 5]]) if labels is None else labels
  clocks.save_leiden(str(tmp_path), images, labels)
  return str(tmp_path)


def test_save_then_load_leiden_round_trips(tmp_path):
  images = np.random.default_rng(0).integers(0, 256, (4, 150, 150), dtype=np.uint8)
  loaded_images, loaded_labels = clocks.load_leiden(_leiden(tmp_path, images))
  np.testing.assert_array_equal(loaded_images, images)
  np.testing.assert_array_equal(loaded_labels, [[0, 0], [11, 59], [3, 40], [9, 5]])
  assert loaded_labels.dtype == np.int64
  assert sorted(os.listdir(tmp_path)) == ['images.npy', 'labels.npy']  # no temporary files left behind


def test_load_leiden_reads_the_75_px_files_too(tmp_path):
  images = np.random.default_rng(0).integers(0, 256, (3, 75, 75), dtype=np.uint8)
  loaded, _ = clocks.load_leiden(_leiden(tmp_path, images, np.array([[0, 0], [1, 1], [2, 2]])))
  np.testing.assert_array_equal(loaded, images)
  assert clocks.resize_images(loaded, 150).shape == (3, 150, 150)  # a 150 px reader reads them enlarged


def test_held_out_styles_show_the_same_times_in_other_dials_and_floors(tmp_path, monkeypatch):
  monkeypatch.setenv('TIMEREAD_CACHE', str(tmp_path))
  load = lambda held_out: clocks.load_splits('', num_examples=40, seed=0, image_size=75, val_size=4,
                                             held_out_styles=held_out)
  plain, held_out = load(False), load(True)
  for split in ('train', 'val', 'test'):
    np.testing.assert_array_equal(getattr(plain, split)[1], getattr(held_out, split)[1])
  assert not np.array_equal(plain.val[0], held_out.val[0]) and not np.array_equal(plain.test[0], held_out.test[0])


def test_load_leiden_accepts_a_channel_axis_and_any_integer_labels(tmp_path):
  data_dir = _leiden(tmp_path, np.zeros((4, 150, 150, 1), np.uint8),
                     np.array([[0, 0], [1, 1], [2, 2], [3, 3]], np.uint8))
  images, labels = clocks.load_leiden(data_dir)
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
    clocks.load_leiden(data_dir)
  message = str(error.value)
  assert os.path.join(data_dir, file_name) in message and words in message
  assert '\n' not in message


def test_load_leiden_missing_directory(tmp_path):
  with pytest.raises(DataError, match='no such directory'):
    clocks.load_leiden(str(tmp_path / 'absent'))


def test_an_experiment_on_nan_pixels_ends_in_one_line_and_exit_status_2(tmp_path):
  data_dir = _leiden(tmp_path / 'data', _images_with_nan())
  result = _run('clock_twohead', '--flagfile=experiments/flags/clock_twohead/fixed.flags',
                f'--workdir={tmp_path / "w"}', f'--clock_data_dir={data_dir}', '--epochs=1', '--image_size=75')
  assert result.returncode == 2, result.stderr[-2000:]
  assert len(result.stderr.strip().splitlines()) == 1
  assert os.path.join(data_dir, 'images.npy') in result.stderr and 'NaN' in result.stderr


def test_cached_clocks_renders_once_then_reads_and_ignores_partial_files(tmp_path, monkeypatch):
  made = []

  def fake_make_clocks(num_examples, seed, styles):
    assert styles == 'all'
    made.append((num_examples, seed))
    return np.full((num_examples, 150, 150), seed, np.uint8), np.zeros((num_examples, 2), np.int64)

  cache_dir = tmp_path / 'cache'
  cache_dir.mkdir()
  leftover = f'clocks-n3-seed7-150px-v{render.GENERATOR_VERSION}.npz.1234-abcd.partial'  # a run killed mid-write
  (cache_dir / leftover).write_bytes(b'half a file')
  monkeypatch.setattr(clocks, 'make_clocks', fake_make_clocks)
  images, _ = clocks.cached_clocks(3, 7, str(cache_dir))
  again, _ = clocks.cached_clocks(3, 7, str(cache_dir))
  other, _ = clocks.cached_clocks(3, 8, str(cache_dir))
  assert made == [(3, 7), (3, 8)]
  np.testing.assert_array_equal(images, again)
  assert other[0, 0, 0] == 8


def test_resize_images_halves_by_block_means():
  images = np.random.default_rng(0).integers(0, 256, (5, 150, 150), dtype=np.uint8)
  halved = clocks.resize_images(images, 75)
  assert halved.shape == (5, 75, 75) and halved.dtype == np.uint8
  assert abs(halved.mean() - images.mean()) < 0.5
  assert halved[0, 0, 0] == round(images[0, :2, :2].mean() + 1e-9)
  assert clocks.resize_images(images, 150) is images
  assert clocks.resize_images(images, 64).shape == (5, 64, 64)


def test_reader_pictures_are_stretched_as_rendered_ones():
  rendered, _ = clocks.make_clocks(2, seed=3, image_size=_SMALL)
  np.testing.assert_array_equal(clocks.reader_pictures(rendered, _SMALL), rendered)  # the renderer stretched them
  dim = (rendered.astype(np.int32) * 100 // 255 + 60).astype(np.uint8)  # grey levels 60-160
  dim[1] = 90  # a flat picture stays flat
  pictures = clocks.reader_pictures(dim, _SMALL, chunk_size=1)
  assert pictures[0].min() == 0 and pictures[0].max() == 255 and np.all(pictures[1] == 0)
  assert np.corrcoef(pictures[0].ravel(), rendered[0].ravel())[0, 1] > 0.999


def test_some_through_75px_shows_150px_pictures_as_a_reader_sees_their_75px_files():
  images, _ = clocks.make_clocks(4, seed=3)
  seen = np.asarray(clocks.some_through_75px(jax.random.key(0), images, 1.0)).astype(int)
  file_75px = clocks.reader_pictures(clocks.resize_images(images, 75), 150)  # evaluate's path for a 75 px file
  assert np.abs(seen - file_75px).mean() < 1 and np.abs(seen - file_75px).max() <= 4  # bilinear, jax's and PIL's
  assert np.abs(seen - images).mean() > 3  # and blurrier than the render
  picked = np.asarray(clocks.some_through_75px(jax.random.key(0), np.repeat(images, 50, 0), 0.3) != np.repeat(
      images, 50, 0)).any((1, 2))
  assert 0.2 < picked.mean() < 0.4


def _make_clocks_cli(*flags):
  return subprocess.run([sys.executable, '-m', 'experiments.make_clocks', *flags], cwd=_REPO,
                        capture_output=True, text=True, timeout=120, check=False)


def test_cli_writes_the_dataset_and_reports_the_rate(tmp_path):
  result = _make_clocks_cli('--num_examples=3', '--seed=5', f'--out={tmp_path}')
  assert result.returncode == 0, result.stderr
  assert 'images/s' in result.stdout
  images, labels = clocks.load_leiden(str(tmp_path))
  assert images.shape == (3, 150, 150) and labels.shape == (3, 2)


def test_cli_previews_renders_beside_every_real_photo(tmp_path):
  """12 real photos: a row of 8, a row of 8 renders, the last 4 (and 4 blank tiles), their 4 renders."""
  real = tmp_path / 'real'
  clocks.save_leiden(str(real), np.zeros((12, 75, 75), np.uint8), np.array([[1, 0], [2, 30], [11, 59]] * 4))
  result = _make_clocks_cli(f'--preview={tmp_path / "p.png"}', f'--beside={real}')
  assert result.returncode == 0, result.stderr
  assert 'rendered 12 clocks' in result.stdout
  with Image.open(tmp_path / 'p.png') as preview:
    assert preview.height == 4 * 180  # plots.save_image_grid: 1.8 inches a row at 100 dpi
  result = _make_clocks_cli(f'--preview={tmp_path / "q.png"}', f'--beside={tmp_path / "nowhere"}')
  assert result.returncode == 2 and 'no such directory' in result.stderr


@pytest.mark.parametrize('flag', ['--num_examples=0', '--num_examples=many', '--out=/proc/no/such/dir'])
def test_cli_bad_flag_is_one_line_and_status_2(flag):
  result = _make_clocks_cli('--out=/tmp/unused', flag) if flag.startswith('--num') else _make_clocks_cli(flag)
  assert result.returncode == 2
  assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith('error:')
