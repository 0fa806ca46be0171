"""What a photo adds to a clock's design (`designs`): camera, surroundings, light, glass and sensor, and the ranges
they are drawn from.

Centred on what photos of clocks in the wild show: most clocks hang upright (within about 30 degrees) and are seen
nearly face on, cropped tightly so that the case fills most of the picture; some are tilted up to about 60 degrees
or framed loosely. They hang on plain walls, stand on shelves, lie on floors or cluttered tables, or sit on a
catalogue's white (sometimes a checkerboard of transparency). Light falls unevenly; the glass shows a glare spot,
a veiling haze or a broad sheen; photos are blurred, noisy, blocky from JPEG, and stretched to full contrast or not.

Sizes in the picture plane are in pixels of a 150 px picture, measured from its centre; on the dial, face radii.
"""
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from timeread_jax import designs as designs_lib
from timeread_jax import looks

BACKGROUNDS = ('wall', 'catalogue', 'shelf', 'floor', 'clutter')
_BACKGROUND_WEIGHTS = (0.25, 0.3, 0.1, 0.1, 0.25)
CLUTTER = 5  # shapes a cluttered background may show
UPRIGHT_FACE_RADIUS = looks.UPRIGHT_FACE_RADIUS


class Scene(NamedTuple):
  """A photo's nuisances; the Leiden ones keep the names `looks.Look` gives them."""
  rotation: jax.Array  # in-plane, radians
  tilt: jax.Array  # out-of-plane, radians
  tilt_axis: jax.Array
  camera_distance: jax.Array  # small means strong perspective
  face_radius: jax.Array  # of a dial facing the camera, as a fraction of the image size
  offset_x: jax.Array  # of the dial centre from the image centre, fraction of the image size
  offset_y: jax.Array
  background: jax.Array  # int32 index into BACKGROUNDS
  back_gray: jax.Array
  back_gradient: jax.Array  # brightness change across the picture
  back_angle: jax.Array
  blotch: jax.Array  # amplitude of soft low-frequency shading (walls, paper)
  blotch_period: jax.Array
  checker: jax.Array  # amplitude of a checkerboard (a catalogue's transparency)
  checker_period: jax.Array
  shelf: jax.Array  # 1.0: a shelf's band crosses the picture
  shelf_y: jax.Array
  shelf_height: jax.Array
  shelf_gray: jax.Array
  shelf_angle: jax.Array
  clutter_on: jax.Array  # (CLUTTER,) 1.0 for each shape shown: boxes, discs, lines
  clutter_x: jax.Array
  clutter_y: jax.Array
  clutter_width: jax.Array  # half sizes
  clutter_height: jax.Array
  clutter_angle: jax.Array
  clutter_round: jax.Array  # 1: a disc or stadium; 0: a box
  clutter_gray: jax.Array
  grain: jax.Array  # per-pixel texture of the surroundings
  floor_weight: jax.Array  # 1.0: the Leiden floor (wood decking and carpet) instead of the wall
  floor_gray: jax.Array
  floor_contrast: jax.Array
  wood_angle: jax.Array
  plank_width: jax.Array
  grain_spacing: jax.Array
  seam_depth: jax.Array
  carpet_angle: jax.Array
  weave_period: jax.Array
  carpet_split: jax.Array
  shadow_x: jax.Array  # of the clock's shadow on what lies behind it, face radii
  shadow_y: jax.Array
  shadow_gray: jax.Array
  shadow_soft: jax.Array  # how much wider than 8 pixels the shadow's soft edge is, face radii
  hand_shadow: jax.Array
  hand_shadow_x: jax.Array
  hand_shadow_y: jax.Array
  light_angle: jax.Array
  light_gradient: jax.Array
  vignette: jax.Array  # darkening towards the picture's corners
  glare: jax.Array  # peak brightness the glare spot adds; 0 for none
  glare_x: jax.Array
  glare_y: jax.Array
  glare_radius: jax.Array
  haze: jax.Array
  haze_gray: jax.Array
  haze_radius: jax.Array
  sheen: jax.Array  # a broad band of reflected light across the glass
  sheen_angle: jax.Array
  sheen_offset: jax.Array
  sheen_width: jax.Array
  gamma: jax.Array
  blur: jax.Array  # gaussian sigma, pixels of a 150 px picture
  noise: jax.Array
  jpeg: jax.Array  # how far each 8x8 block is flattened towards its mean
  stretch: jax.Array  # 1.0: min-max stretched like the Leiden photos; else black and white levels below
  black: jax.Array
  white: jax.Array
  floor_seed: jax.Array  # uint32 seeds of the per-plank and per-pixel hashes
  fibre_seed: jax.Array
  sensor_seed: jax.Array


def draw(key: jax.Array, design: designs_lib.Design, upright: bool = False,
         turn: jax.Array | None = None) -> Scene:
  """A photo of `design`. `upright` gives the measurable view: dial facing the camera, 12 up, centred, face radius
  UPRIGHT_FACE_RADIUS of the picture, a plain wall, even light, no glare, shadows, noise or blockiness.

  `turn` (0 to 1), where given, narrows the in-plane turn to within that fraction of half a circle either side of
  upright (`looks.draw`).
  """
  keys = jax.random.split(key, 4)
  u = designs_lib._Draws(keys[0], 96)
  clutter = jax.random.uniform(keys[1], (8, CLUTTER))
  seeds = jax.random.bits(keys[2], (3,), jnp.uint32)

  def pick(value, upright_value):
    return jnp.broadcast_to(jnp.asarray(upright_value, jnp.float32), jnp.shape(value)) if upright else value

  background = u.choice(_BACKGROUND_WEIGHTS)
  catalogue, shelf, floor, cluttered = (background == i for i in range(1, 5))
  rotation = jnp.where(u() < 0.75, jnp.clip(u(-1, 1) + u(-1, 1) + u(-1, 1), -1.5, 1.5) * np.radians(18),
                       u(-np.pi, np.pi))
  if turn is not None:
    rotation = rotation * turn
  fill = jnp.where(u() < 0.75, u(0.4, 0.52), u(0.22, 0.6))  # the case's outer radius over the picture's size
  shown = jnp.minimum(1.0, cluttered * 1.0 + u.chance(0.15))  # some shapes on other backgrounds too
  clutter_on = (clutter[0] < jnp.where(cluttered, 0.85, 0.35)) * shown
  line = clutter[1] < 0.35
  return Scene(
      rotation=pick(rotation, 0),
      tilt=pick(np.radians(60) * u() ** 2.5, 0),  # half of them within 11 degrees of face on
      tilt_axis=pick(u(0, np.pi), 0),
      camera_distance=pick(u(2.5, 12.0), 6.0),
      face_radius=pick(fill / (design.rim_radius + 0.08 * design.watch), UPRIGHT_FACE_RADIUS),
      offset_x=pick(u(-0.06, 0.06), 0),
      offset_y=pick(u(-0.06, 0.06), 0),
      background=background if not upright else jnp.int32(0),
      back_gray=jnp.where(catalogue, u(0.88, 1.0), u(0.15, 0.9)),
      back_gradient=pick(jnp.where(catalogue, 0.1, 0.5) * u(-1, 1), 0),
      back_angle=u(0, 2 * np.pi),
      blotch=pick((1 - catalogue) * u(0, 0.08), 0),
      blotch_period=u(30, 120),
      checker=pick(catalogue * u.chance(0.15) * u(0.08, 0.2), 0),
      checker_period=u(5, 12),
      shelf=pick(shelf * 1.0, 0),
      shelf_y=u(30, 75),
      shelf_height=u(8, 30),
      shelf_gray=u(0.1, 0.9),
      shelf_angle=u(-0.12, 0.12),
      clutter_on=pick(clutter_on * 1.0, 0),
      clutter_x=clutter[2] * 180 - 90,
      clutter_y=clutter[3] * 180 - 90,
      clutter_width=jnp.where(line, 40 + 60 * clutter[4], 6 + 40 * clutter[4]),
      clutter_height=jnp.where(line, 0.6 + 2 * clutter[5], 6 + 40 * clutter[5]),
      clutter_angle=clutter[6] * np.pi,
      clutter_round=jnp.where(line, 0.0, (clutter[7] < 0.4) * 1.0),
      clutter_gray=jax.random.uniform(keys[3], (CLUTTER,)),
      grain=pick(u(0, 0.06), 0),
      floor_weight=pick(floor * 1.0, 0),
      floor_gray=u(0.2, 0.6),
      floor_contrast=u(0.4, 1.4),
      wood_angle=u(0, np.pi),
      plank_width=u(15, 50),
      grain_spacing=u(2, 6),
      seam_depth=u(0.15, 0.6),
      carpet_angle=u(0, np.pi),
      weave_period=u(3, 6),
      carpet_split=u(-200, 800),
      shadow_x=pick(u(-0.15, 0.15), 0),
      shadow_y=pick(u(-0.05, 0.2), 0),
      shadow_gray=pick(u(0, 0.45), 0),
      shadow_soft=u(0.02, 0.25),
      hand_shadow=pick(u(0, 0.3), 0),
      hand_shadow_x=u(-0.04, 0.04),
      hand_shadow_y=u(-0.01, 0.05),
      light_angle=u(0, 2 * np.pi),
      light_gradient=pick(u(0, 0.35), 0),
      vignette=pick(u(0, 0.3), 0),
      glare=pick(u.chance(0.3) * u(0.2, 1.5), 0),
      glare_x=u(-0.7, 0.7),
      glare_y=u(-0.7, 0.7),
      glare_radius=u(0.06, 0.25),
      haze=pick(u.chance(0.25) * u(0.0, 0.5), 0),
      haze_gray=u(0.75, 1.0),
      haze_radius=u(0.4, 1.5),
      sheen=pick(u.chance(0.35) * u(0.05, 0.35), 0),
      sheen_angle=u(0, 2 * np.pi),
      sheen_offset=u(-0.8, 0.8),
      sheen_width=u(0.1, 0.5),
      gamma=pick(u(0.7, 1.4), 1),
      blur=pick(0.2 + 1.0 * u() ** 2, 0.3),
      noise=pick(u(0.0, 0.025), 0),
      jpeg=pick(u.chance(0.25) * u(0.05, 0.3), 0),
      stretch=pick(u.chance(0.6), 1),
      black=u(0.0, 0.15),
      white=u(0.85, 1.0),
      floor_seed=seeds[0],
      fibre_seed=seeds[1],
      sensor_seed=seeds[2],
  )


def leiden(look: looks.Look) -> Scene:
  """The Leiden photo of `look` as a Scene: its camera, floor, shadows, glass and sensor."""
  zero = jnp.float32(0)
  zeros = jnp.zeros(CLUTTER)
  return Scene(
      rotation=look.rotation, tilt=look.tilt, tilt_axis=look.tilt_axis, camera_distance=look.camera_distance,
      face_radius=look.face_radius, offset_x=look.offset_x, offset_y=look.offset_y, background=jnp.int32(3),
      back_gray=look.floor_gray, back_gradient=zero, back_angle=zero, blotch=zero, blotch_period=jnp.float32(50),
      checker=zero, checker_period=jnp.float32(8), shelf=zero, shelf_y=zero, shelf_height=jnp.float32(10),
      shelf_gray=zero, shelf_angle=zero, clutter_on=zeros, clutter_x=zeros, clutter_y=zeros,
      clutter_width=zeros + 1, clutter_height=zeros + 1, clutter_angle=zeros, clutter_round=zeros,
      clutter_gray=zeros, grain=zero, floor_weight=jnp.float32(1), floor_gray=look.floor_gray,
      floor_contrast=look.floor_contrast, wood_angle=look.wood_angle, plank_width=look.plank_width,
      grain_spacing=look.grain_spacing, seam_depth=look.seam_depth, carpet_angle=look.carpet_angle,
      weave_period=look.weave_period, carpet_split=jnp.asarray(look.carpet_split, jnp.float32),
      shadow_x=look.shadow_x, shadow_y=look.shadow_y, shadow_gray=look.shadow_gray, shadow_soft=zero,
      hand_shadow=look.hand_shadow, hand_shadow_x=look.hand_shadow_x, hand_shadow_y=look.hand_shadow_y,
      light_angle=look.light_angle, light_gradient=look.light_gradient, vignette=zero, glare=look.glare,
      glare_x=look.glare_x, glare_y=look.glare_y, glare_radius=look.glare_radius, haze=look.haze,
      haze_gray=look.haze_gray, haze_radius=look.haze_radius, sheen=zero, sheen_angle=zero, sheen_offset=zero,
      sheen_width=jnp.float32(0.3), gamma=look.gamma, blur=look.blur, noise=look.noise, jpeg=zero,
      stretch=jnp.float32(1), black=zero, white=jnp.float32(1), floor_seed=look.floor_seed,
      fibre_seed=look.fibre_seed, sensor_seed=look.sensor_seed)
