"""Pictures as readers see them: block-mean halving, and the min-max stretch every picture gets."""
import numpy as np

from timeread_jax import pictures
from timeread_jax import synthetic


_SMALL = 48  # image size for tests that only compare arrays: renders faster, same code path


def test_resize_images_halves_by_block_means():
  images = np.random.default_rng(0).integers(0, 256, (5, 150, 150), dtype=np.uint8)
  halved = pictures.resize_images(images, 75)
  assert halved.shape == (5, 75, 75) and halved.dtype == np.uint8
  assert abs(halved.mean() - images.mean()) < 0.5
  assert halved[0, 0, 0] == round(images[0, :2, :2].mean() + 1e-9)
  assert pictures.resize_images(images, 150) is images
  assert pictures.resize_images(images, 64).shape == (5, 64, 64)


def test_reader_pictures_are_stretched_as_rendered_ones():
  rendered, _ = synthetic.make_clocks(2, seed=3, image_size=_SMALL)
  np.testing.assert_array_equal(pictures.reader_pictures(rendered, _SMALL), rendered)  # the renderer stretched them
  dim = (rendered.astype(np.int32) * 100 // 255 + 60).astype(np.uint8)  # grey levels 60-160
  dim[1] = 90  # a flat picture stays flat
  seen = pictures.reader_pictures(dim, _SMALL, chunk_size=1)
  assert seen[0].min() == 0 and seen[0].max() == 255 and np.all(seen[1] == 0)
  assert np.corrcoef(seen[0].ravel(), rendered[0].ravel())[0, 1] > 0.999
