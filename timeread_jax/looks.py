"""Every nuisance of a synthetic clock photo, and the ranges it is drawn from: what to edit to make the synthetic
clocks look more like the real ones.

Lengths on the dial are in face radii (dial coordinates: face radius 1, x to the right, y down).
"""
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from timeread_jax import dials

UPRIGHT_FACE_RADIUS = 0.4  # of the image size, in upright renders
# Which dial styles and floors a picture may show: 'seen' and 'unseen' split them for a held-out-style check.
STYLE_SETS = ('all', 'seen', 'unseen')


class Look(NamedTuple):
  """The nuisance parameters of one picture; lengths on the dial are in face radii."""
  rotation: jax.Array  # in-plane, radians
  tilt: jax.Array  # out-of-plane, radians
  tilt_axis: jax.Array
  camera_distance: jax.Array  # small means strong perspective
  face_radius: jax.Array  # of a dial facing the camera, as a fraction of the image size
  offset_x: jax.Array  # of the dial centre from the image centre, fraction of the image size
  offset_y: jax.Array
  style: jax.Array  # index into dials.STYLES
  face_gray: jax.Array
  ink_gray: jax.Array
  rim_gray: jax.Array
  rim_radius: jax.Array  # outer edge
  bezel_width: jax.Array  # the light ring between face and rim
  bezel_gray: jax.Array
  rim_depth: jax.Array  # how far the rim stands off the floor
  rim_shadow: jax.Array  # how much the rim shades the face's edge away from the light
  hand_gray: jax.Array
  hour_length: jax.Array
  hour_width: jax.Array
  minute_length: jax.Array
  minute_width: jax.Array
  tail: jax.Array  # of each hand past the hub, as a fraction of its length
  taper: jax.Array  # how much narrower a hand is at its tip than at the hub
  hub_radius: jax.Array
  hand_shadow: jax.Array  # how much the hands' shadow darkens the face
  hand_shadow_x: jax.Array  # where the shadow falls, from the hands
  hand_shadow_y: jax.Array
  shadow_x: jax.Array  # of the clock's shadow on the floor
  shadow_y: jax.Array
  shadow_gray: jax.Array  # how much the shadow darkens the floor
  floor_gray: jax.Array
  floor_contrast: jax.Array
  wood_angle: jax.Array
  plank_width: jax.Array  # floor sizes are in pixels of a 150 px picture
  grain_spacing: jax.Array
  seam_depth: jax.Array
  carpet_angle: jax.Array
  weave_period: jax.Array
  carpet_split: jax.Array  # where the floor turns from wood to carpet; often outside the picture
  light_angle: jax.Array
  light_gradient: jax.Array  # brightness change across the picture
  glare: jax.Array  # peak brightness the glare spot adds; 0 for none
  glare_x: jax.Array
  glare_y: jax.Array
  glare_radius: jax.Array
  haze: jax.Array  # how far the glass's veiling reflection pulls what lies under it towards haze_gray: it greys
  haze_gray: jax.Array  # the hands, and leaves the face light grey (strongest around the spot)
  haze_radius: jax.Array
  gamma: jax.Array
  blur: jax.Array  # gaussian sigma, pixels of a 150 px picture
  noise: jax.Array  # sensor noise standard deviation
  floor_seed: jax.Array  # uint32 seeds of the per-plank and per-pixel hashes
  fibre_seed: jax.Array
  sensor_seed: jax.Array


def draw(key: jax.Array, upright: bool, styles: str, turn: jax.Array | None = None) -> Look:
  """Every nuisance range in one place; `upright` swaps each for the canonical value in its last argument.

  `turn` (0 to 1), where given, narrows the in-plane turn to within that fraction of half a circle either side of
  upright: a warm-up for a new reader (`sources.FreshClocks`).

  The ranges are centred on what the real photos show (a light face with small thin numerals, two slim dark
  hands of nearly equal width told apart by length, a thick dark rim, wooden decking; in a third of them a
  reflection on the glass: a saturated spot in a haze that turns the whole face light grey and the hands
  mid grey) and reach past it on every side. The greys stay close to the real ones (since generator 4): every
  real photo has mid-grey numerals and dark grey hands, never black or bold ink. The framing spans the real
  photos' (generator 5): most show the whole clock near the centre, but a quarter are close-ups whose rim runs off
  the picture (a face radius of up to about 0.6 of its size), which generator 4's framing left out.
  """
  keys = iter(jax.random.split(key, 2 * len(Look._fields)))  # enough for every draw below

  def uniform(low, high, upright_value):
    value = jax.random.uniform(next(keys), (), minval=low, maxval=high)
    return jnp.float32(upright_value) if upright else value

  def chance(probability, value, upright_value=0.0):
    drawn = jnp.where(jax.random.uniform(next(keys)) < probability, value, 0.0)
    return jnp.float32(upright_value) if upright else drawn

  def seed():
    return jax.random.bits(next(keys), (), jnp.uint32)

  first_style, end_style = {'all': (0, len(dials.STYLES)), 'seen': (0, dials.NUM_TRAINING_STYLES),
                            'unseen': (dials.NUM_TRAINING_STYLES, len(dials.STYLES))}[styles]
  # The held-out check keeps carpet out of the seen floors and shows it on every unseen one.
  carpet_split = {'all': uniform(-200, 800, 300), 'seen': jnp.float32(300), 'unseen': jnp.float32(-300)}[styles]
  minute_width = uniform(0.025, 0.055, 0.04)
  minute_length = uniform(0.72, 0.95, 0.85)
  rotation = uniform(0, 2 * np.pi, 0)
  if turn is not None and not upright:
    rotation = (rotation - np.pi) * turn
  return Look(
      rotation=rotation,
      tilt=uniform(0, np.radians(55), 0),
      tilt_axis=uniform(0, np.pi, 0),
      camera_distance=uniform(3.0, 9.0, 6.0),
      face_radius=uniform(0.3, 0.6, UPRIGHT_FACE_RADIUS),
      offset_x=uniform(-0.08, 0.08, 0),
      offset_y=uniform(-0.08, 0.08, 0),
      style=jnp.int32(0) if upright else jax.random.randint(next(keys), (), first_style, end_style),
      face_gray=uniform(0.8, 0.98, 0.9),
      ink_gray=uniform(0.25, 0.65, 0.45),
      rim_gray=uniform(0.12, 0.45, 0.3),
      rim_radius=uniform(1.1, 1.25, 1.16),
      bezel_width=uniform(0.0, 0.05, 0.025),
      bezel_gray=uniform(0.55, 0.95, 0.8),
      rim_depth=uniform(0.06, 0.22, 0.12),
      rim_shadow=uniform(0, 0.25, 0),
      hand_gray=uniform(0.05, 0.4, 0.2),
      # The hour hand is a little wider than the minute hand on the real clock, but width must not be the cue:
      # it ranges from slightly narrower to twice as wide, and length tells the hands apart.
      hour_length=uniform(0.48, 0.68, 0.58) * jnp.minimum(1.0, minute_length / 0.85),
      hour_width=uniform(0.9, 1.8, 1.25) * minute_width,
      minute_length=minute_length,
      minute_width=minute_width,
      tail=uniform(0.0, 0.3, 0.15),
      taper=uniform(0.0, 0.6, 0.2),
      hub_radius=uniform(0.03, 0.07, 0.05),
      hand_shadow=uniform(0, 0.3, 0),
      hand_shadow_x=uniform(-0.05, 0.05, 0),
      hand_shadow_y=uniform(-0.05, 0.05, 0),
      shadow_x=uniform(-0.12, 0.12, 0),
      shadow_y=uniform(-0.12, 0.12, 0),
      shadow_gray=uniform(0.1, 0.5, 0),
      floor_gray=uniform(0.2, 0.6, 0.45),
      floor_contrast=uniform(0.4, 1.4, 1.0),
      wood_angle=uniform(0, np.pi, 0),
      plank_width=uniform(15, 50, 30),
      grain_spacing=uniform(2, 6, 4),
      seam_depth=uniform(0.15, 0.6, 0.35),
      carpet_angle=uniform(0, np.pi, 0),
      weave_period=uniform(3, 6, 4),
      carpet_split=carpet_split,
      light_angle=uniform(0, 2 * np.pi, 0),
      light_gradient=uniform(0, 0.4, 0),
      glare=chance(0.45, uniform(0.3, 2.5, 0)),
      glare_x=uniform(-0.7, 0.7, 0),
      glare_y=uniform(-0.7, 0.7, 0),
      glare_radius=uniform(0.06, 0.22, 0.1),
      haze=chance(0.35, uniform(0.0, 0.65, 0)),
      haze_gray=uniform(0.75, 1.0, 0.9),
      haze_radius=uniform(0.4, 1.5, 0.5),
      gamma=uniform(0.7, 1.5, 1.0),
      blur=uniform(0.25, 1.1, 0.3),
      noise=uniform(0.002, 0.01, 0),
      floor_seed=seed(),
      fibre_seed=seed(),
      sensor_seed=seed(),
  )
