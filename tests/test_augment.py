"""The augmentations of training pictures: flips and shifts, erased rectangles, 150 px clocks seen as 75 px photos."""
import jax
import numpy as np

from timeread_jax import augment
from timeread_jax import pictures
from timeread_jax import synthetic


def test_flip_and_shift_moves_whole_images_and_draws_both_flips():
  images = np.arange(64 * 6 * 5, dtype=np.float32).reshape(64, 6, 5) + 1  # every pixel distinct and nonzero
  out = np.asarray(augment.flip_and_shift(jax.random.PRNGKey(0), images, max_shift=1))
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


def test_erase_rectangles_erases_the_share_asked_for_and_keeps_channels_together():
  images = np.full((2000, 20, 20, 3), 300.0, np.float32)  # above any grey, so every erased pixel shows
  out = np.asarray(augment.erase_rectangles(jax.random.PRNGKey(0), images, 0.3))
  erased = (out != 300).any(axis=(1, 2, 3))
  assert abs(erased.mean() - 0.3) < 0.04
  areas = (out[erased] != 300).all(-1).sum(axis=(1, 2)) / 400
  assert areas.min() >= 0.01 and areas.max() <= 0.2 and 0.06 < areas.mean() < 0.11
  assert np.array_equal(out[..., 0] != 300, out[..., 2] != 300)


def test_some_through_75px_shows_150px_pictures_as_a_reader_sees_their_75px_files():
  images, _ = synthetic.make_clocks(4, seed=3)
  seen = np.asarray(augment.some_through_75px(jax.random.key(0), images, 1.0)).astype(int)
  file_75px = pictures.reader_pictures(pictures.resize_images(images, 75), 150)  # evaluate's path for a 75 px file
  assert np.abs(seen - file_75px).mean() < 1 and np.abs(seen - file_75px).max() <= 4  # bilinear, jax's and PIL's
  assert np.abs(seen - images).mean() > 3  # and blurrier than the render
  picked = np.asarray(augment.some_through_75px(jax.random.key(0), np.repeat(images, 50, 0), 0.3) != np.repeat(
      images, 50, 0)).any((1, 2))
  assert 0.2 < picked.mean() < 0.4
