"""The renderer's Leiden clock: labels, faithful hands of every shape, pictures of the requested size, held-out
styles, and generator 5's very pixels (the other designs: tests/test_designs.py)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tests.test_designs import _angle_between
from tests.test_designs import _on_circle
from timeread_jax import dials
from timeread_jax import looks
from timeread_jax import render

_SMALL = 48  # image size for tests that only compare arrays: renders faster, same code path


def test_labels_in_range_and_roughly_uniform():
  labels = np.asarray(render.random_labels(jax.random.key(0), 1200))
  assert labels.shape == (1200, 2)
  assert labels[:, 0].min() >= 0 and labels[:, 0].max() <= 11
  assert labels[:, 1].min() >= 0 and labels[:, 1].max() <= 59
  hour_counts = np.bincount(labels[:, 0], minlength=12)
  assert hour_counts.min() > 60 and hour_counts.max() < 140  # expected 100 each
  assert len(np.unique(labels[:, 1])) == 60


def _darkest_direction(image, radius, ignore_near=None):
  """Clockwise angle from 12, in degrees, of the darkest spot on a circle of `radius` px around the centre."""
  angles, values = _on_circle(image, radius)
  darkness = values.max() - values
  if ignore_near is not None:
    darkness[_angle_between(angles, ignore_near) < 20] = 0
  near_peak = _angle_between(angles, angles[np.argmax(darkness)]) < 10
  # The darkness-weighted mean direction around the peak resolves the hand's axis to a fraction of a pixel.
  mean = np.sum(darkness[near_peak] * np.exp(1j * np.radians(angles[near_peak])))
  return np.degrees(np.angle(mean)) % 360


@pytest.mark.parametrize('hour, minute', [(3, 40), (9, 5), (11, 55), (0, 20)])
def test_hands_point_where_the_label_says(hour, minute):
  labels = np.array([[hour, minute]], np.int32)
  image = np.asarray(render.render_clocks(jax.random.key(0), labels, upright=True))[0]
  face_radius = looks.UPRIGHT_FACE_RADIUS * render.IMAGE_SIZE
  # 0.66: beyond the upright hour hand (0.58) and inside the numerals; 0.4: the hour hand, beyond both tails.
  minute_angle = _darkest_direction(image, 0.66 * face_radius)
  hour_angle = _darkest_direction(image, 0.4 * face_radius, ignore_near=minute * 6)
  assert _angle_between(minute_angle, minute * 6) < 2.5
  assert _angle_between(hour_angle, (hour + minute / 60) * 30) < 4


@pytest.mark.parametrize('seed', range(6))
def test_every_hand_shape_points_where_the_label_says(seed):
  """Random hands (lengths, widths, tails, taper, hub, grey, as training draws them) on a dial seen face on, with
  the printed marks and every shadow and glare taken away so that only the hands are dark."""
  rng = np.random.default_rng(seed)
  hour, minute = 0, 0
  while _angle_between((hour + minute / 60) * 30, minute * 6) < 45:  # hands apart, so each can be measured alone
    hour, minute = int(rng.integers(12)), int(rng.integers(60))
  look = looks.draw(jax.random.key(seed), upright=False, styles='all')
  upright = looks.draw(jax.random.key(seed), upright=True, styles='all')
  camera = ('rotation', 'tilt', 'tilt_axis', 'camera_distance', 'face_radius', 'offset_x', 'offset_y')
  look = look._replace(**{name: getattr(upright, name) for name in camera}, ink_gray=look.face_gray, hand_shadow=0.0,
                       glare=0.0, haze=0.0, light_gradient=0.0, rim_shadow=0.0, noise=0.0, gamma=1.0, blur=0.3)
  image = np.asarray(render.render_look(look, jnp.array([hour, minute]), render.IMAGE_SIZE))
  face_radius = looks.UPRIGHT_FACE_RADIUS * render.IMAGE_SIZE
  hour_tip = float(look.hour_length + look.hour_width / 2)
  tails = float(look.tail * look.minute_length + look.hub_radius + look.minute_width)
  assert tails < float(look.hour_length) and hour_tip < float(look.minute_length)
  minute_angle = _darkest_direction(image, (hour_tip + float(look.minute_length)) / 2 * face_radius)
  hour_angle = _darkest_direction(image, (tails + float(look.hour_length)) / 2 * face_radius, ignore_near=minute * 6)
  assert _angle_between(minute_angle, minute * 6) < 2.5
  assert _angle_between(hour_angle, (hour + minute / 60) * 30) < 4


def test_render_clocks_makes_uint8_pictures_of_the_requested_size():
  images = render.render_clocks(jax.random.key(1), render.random_labels(jax.random.key(2), 3), _SMALL)
  assert images.shape == (3, _SMALL, _SMALL) and images.dtype == np.uint8
  assert int(images.min()) == 0 and int(images.max()) == 255  # stretched like the Leiden photos


def test_seen_and_unseen_styles_split_the_dials_and_floors():
  for seed in range(20):
    seen = looks.draw(jax.random.key(seed), upright=False, styles='seen')
    unseen = looks.draw(jax.random.key(seed), upright=False, styles='unseen')
    assert seen.style < dials.NUM_TRAINING_STYLES <= unseen.style < len(dials.STYLES)
    assert seen.carpet_split > 0 > unseen.carpet_split  # wood only, carpet only


def test_a_75_px_render_looks_like_a_150_px_one_shrunk():
  """Fresh 75 px batches are drawn at 75 px; the stored sets and the real 75 px photos were shrunk from 150."""
  labels = render.random_labels(jax.random.key(0), 16)
  large = np.asarray(render.render_clocks(jax.random.key(3), labels, 150)).astype(float)
  shrunk = large.reshape(16, 75, 2, 75, 2).mean(axis=(2, 4))
  direct = np.asarray(render.render_clocks(jax.random.key(3), labels, 75)).astype(float)
  assert np.abs(shrunk - direct).mean() < 8  # grey levels of 255: the same picture, up to anti-aliasing
  assert abs(shrunk.mean() - direct.mean()) < 2


def test_leiden_designs_render_generator_5s_pixels():
  """designs='leiden' (the default) keeps the pixels generator 5 rendered, so that stored sets and results made
  with it stay comparable: sums and pixels of three 48 px clocks, computed with generator 5's code."""
  labels = jnp.array([[1, 2], [5, 40], [11, 59]], jnp.int32)
  images = np.asarray(render.render_clocks(jax.random.key(0), labels, _SMALL)).astype(np.int64)
  assert np.array_equal(images, np.asarray(render.render_clocks(jax.random.key(0), labels, _SMALL, designs='leiden')))
  assert images.sum(axis=(1, 2)).tolist() == [249269, 231663, 355767]
  assert (images[0, 24, 24], images[1, 10, 30], images[2, 40, 5]) == (249, 74, 166)
