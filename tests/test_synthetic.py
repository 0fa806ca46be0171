"""The synthetic clock sets: a function of their seed alone, whatever the chunking, and rendered once into the cache."""
import numpy as np

from timeread_jax import render
from timeread_jax import synthetic


_SMALL = 48  # image size for tests that only compare arrays: renders faster, same code path


def test_same_seed_same_clocks_other_seed_other_clocks():
  images, labels = synthetic.make_clocks(6, seed=3, image_size=_SMALL)
  again_images, again_labels = synthetic.make_clocks(6, seed=3, image_size=_SMALL)
  other_images, other_labels = synthetic.make_clocks(6, seed=4, image_size=_SMALL)
  assert images.shape == (6, _SMALL, _SMALL) and images.dtype == np.uint8
  assert labels.shape == (6, 2) and labels.dtype == np.int64
  np.testing.assert_array_equal(images, again_images)
  np.testing.assert_array_equal(labels, again_labels)
  assert not np.array_equal(images, other_images)
  assert not np.array_equal(labels, other_labels)


def test_clocks_do_not_depend_on_chunk_size():
  whole, whole_labels = synthetic.make_clocks(6, seed=3, image_size=_SMALL)
  chunked, chunked_labels = synthetic.make_clocks(6, seed=3, image_size=_SMALL, chunk_size=4)  # last chunk padded
  np.testing.assert_array_equal(whole, chunked)
  np.testing.assert_array_equal(whole_labels, chunked_labels)


def test_cached_clocks_renders_once_then_reads_and_ignores_partial_files(tmp_path, monkeypatch):
  made = []

  def fake_make_clocks(num_examples, seed, styles, designs):
    assert styles == 'all' and designs == 'leiden'
    made.append((num_examples, seed))
    return np.full((num_examples, 150, 150), seed, np.uint8), np.zeros((num_examples, 2), np.int64)

  cache_dir = tmp_path / 'cache'
  cache_dir.mkdir()
  leftover = f'clocks-n3-seed7-150px-v{render.GENERATOR_VERSION}.npz.1234-abcd.partial'  # a run killed mid-write
  (cache_dir / leftover).write_bytes(b'half a file')
  monkeypatch.setattr(synthetic, 'make_clocks', fake_make_clocks)
  images, _ = synthetic.cached_clocks(3, 7, str(cache_dir))
  again, _ = synthetic.cached_clocks(3, 7, str(cache_dir))
  other, _ = synthetic.cached_clocks(3, 8, str(cache_dir))
  assert made == [(3, 7), (3, 8)]
  np.testing.assert_array_equal(images, again)
  assert other[0, 0, 0] == 8
