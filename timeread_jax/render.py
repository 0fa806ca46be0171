"""Synthetic photos of the Leiden tell-the-time wall clock, rendered in jax.numpy.

Each picture maps every pixel through a random camera homography back to the dial, samples the dial's printed
markings (`dials`), draws the hands and their shadows analytically in dial coordinates (so they tilt with the dial),
and composites over a procedural floor, followed by lighting, glare, blur, gamma, noise and the real photos' min-max
stretch. What varies from picture to picture, and how much, is `looks`. Static shapes throughout, so the same code
fills the on-disk cache on CPU and makes fresh batches inside a jitted train step on an accelerator.

A picture's pixels do not depend on how its batch is split over devices, so that each device can render its own
share and N devices draw the clocks one draws (tests/test_steps.py): a picture's own scalars enter the per-pixel
arithmetic as factors, never divisors (XLA turns such a division into a product with the reciprocal in some
shards' programs only), and blurs are sums in a fixed order, not matrix products.

Dial coordinates: face radius 1, x to the right, y down, 12 o'clock at -y; hand angles run clockwise from 12.
"""
import functools

import jax
import jax.numpy as jnp
import numpy as np

from timeread_jax import dials
from timeread_jax import looks

IMAGE_SIZE = 150
GENERATOR_VERSION = 5
BLUR_RADIUS = 4  # pixels: the blur's taps reach this far each way


def random_labels(key: jax.Array, num: int) -> jax.Array:
  """(hour 0-11, minute 0-59) int32 (num, 2), uniform over the 720 positions of the hands."""
  minutes = jax.random.randint(key, (num,), 0, 720)
  return jnp.stack([minutes // 60, minutes % 60], axis=-1).astype(jnp.int32)


@functools.partial(jax.jit, static_argnames=('image_size', 'upright', 'styles'))
def render_clocks(key: jax.Array, labels: jax.Array, image_size: int = IMAGE_SIZE, *, upright: bool = False,
                  styles: str = 'all', turn: jax.Array | None = None) -> jax.Array:
  """Clock photos uint8 (N, S, S) showing `labels` (N, 2); all else (pose, light, floor...) is drawn from `key`.

  `upright=True` gives a canonical view that tests and figures can measure: dial facing the camera, 12 up,
  centred, face radius 0.4 * image_size, the canonical dial style, even light, no glare, shadows or noise.
  `turn` narrows the in-plane turn (`looks.draw`).
  """
  keys = jax.random.split(key, len(labels))
  return jax.vmap(lambda k, label: render_one(k, label, image_size, upright, styles, turn))(keys, labels)


def render_one(key: jax.Array, label: jax.Array, image_size: int, upright: bool = False,
               styles: str = 'all', turn: jax.Array | None = None) -> jax.Array:
  """One picture uint8 (S, S) of the clock showing `label` (hour, minute); see render_clocks."""
  return render_look(looks.draw(key, upright, styles, turn), label, image_size)


def render_look(look: looks.Look, label: jax.Array, image_size: int) -> jax.Array:
  """The picture uint8 (S, S) of the clock showing `label` (hour, minute) with every nuisance as `look` says."""
  rows, cols = jnp.mgrid[0:image_size, 0:image_size].astype(jnp.float32) + 0.5
  camera = _camera(look, image_size)
  to_dial = jnp.linalg.inv(camera[:, (0, 1, 3)])  # the dial plane z = 0 maps to pixels by a homography
  x, y = _apply(to_dial, cols, rows)
  radius = jnp.hypot(x, y)
  edge = 1 / (look.face_radius * image_size)  # about a pixel in face radii: the width of anti-aliased edges

  hour, minute = label[0].astype(jnp.float32), label[1].astype(jnp.float32)
  hour_angle, minute_angle = jnp.radians((hour + minute / 60) * 30), jnp.radians(minute * 6)

  def hands_at(x, y):
    return jnp.maximum(jnp.maximum(
        _hand(x, y, hour_angle, look.hour_length, look.hour_width, look.tail, look.taper, edge),
        _hand(x, y, minute_angle, look.minute_length, look.minute_width, look.tail, look.taper, edge)),
        _inside(jnp.hypot(x, y), look.hub_radius, edge))

  scale = image_size / IMAGE_SIZE
  light_x, light_y = jnp.cos(look.light_angle), jnp.sin(look.light_angle)
  facing_light = (x * light_x + y * light_y) / jnp.maximum(radius, 1e-3)  # the rim's lit side is brighter
  # The texture's slight blur (its optimization barrier) also keeps XLA from fusing the gathers into the main
  # per-pixel loop, which would make that loop several times slower on CPU.
  ink = _blur(_sample_ink(look.style, x, y, dials.textures(max(32, round(dials.TEXTURE_SIZE * min(1, scale))))),
              jnp.float32(0.35))
  face = look.face_gray + (look.ink_gray - look.face_gray) * ink
  face = face * (1 - look.rim_shadow * jnp.clip((radius - 0.8) / 0.2, 0, 1) * (0.5 - 0.5 * facing_light))
  face = face * (1 - look.hand_shadow * hands_at(x - look.hand_shadow_x, y - look.hand_shadow_y))
  face = face + (look.hand_gray - face) * hands_at(x, y)

  bezel = look.bezel_gray * (1 + 0.15 * facing_light)
  rim = look.rim_gray * (1 + 0.35 * facing_light)
  # The rim's back edge lies rim_depth further from the camera than its front; seen at a slant it is the same
  # circle shifted to (back_x, back_y), and the rim's side wall fills the space between the two circles.
  back_col, back_row, back_w = camera @ jnp.array([0, 0, look.rim_depth, 1])
  back_x, back_y = _apply(to_dial, back_col / back_w, back_row / back_w)
  to_rim_body = _segment_distance(x, y, back_x, back_y)
  to_shadow = _segment_distance(x - look.shadow_x, y - look.shadow_y, back_x, back_y)

  # Per-pixel noise is drawn at the picture's own size, and smaller pictures average more of the world into a
  # pixel: scaled so that a 75 px render matches a 150 px one shrunk by 2x2 means, as the real 75 px photos were.
  pixels = jnp.arange(image_size * image_size, dtype=jnp.uint32).reshape(image_size, image_size)
  pixel_noise = lambda seed: min(1.0, scale) * (_hash(pixels + seed) - 0.5)
  floor = _floor(look, (cols - image_size / 2) / scale, (rows - image_size / 2) / scale, pixel_noise(look.fibre_seed),
                 scale)
  picture = floor * (1 - look.shadow_gray * _inside(to_shadow, look.rim_radius, 8 * edge))
  picture = picture + (0.7 * look.rim_gray - picture) * _inside(to_rim_body, look.rim_radius, edge)
  picture = picture + (rim - picture) * _inside(radius, look.rim_radius, edge)
  picture = picture + (bezel - picture) * _inside(radius, 1 + look.bezel_width, edge)
  picture = picture + (face - picture) * _inside(radius, 1, edge)
  to_glare = (x - look.glare_x) ** 2 + (y - look.glare_y) ** 2
  glass = _inside(radius, 1 + look.bezel_width, edge)  # reflections on the glass
  haze = look.haze * (0.6 + 0.4 * jnp.exp(to_glare * (-0.5 / look.haze_radius ** 2))) * glass
  picture = picture + (look.haze_gray - picture) * haze
  picture = picture + look.glare * jnp.exp(to_glare * (-0.5 / look.glare_radius ** 2)) * glass

  across = (cols * light_x + rows * light_y) / image_size - 0.5 * (light_x + light_y)
  picture = jnp.clip(picture * (1 + look.light_gradient * across), 0, 1)  # glare saturates the sensor
  shrink_blur = max(0.0, 1 - scale ** 2) / 12  # the variance a box mean of 1 / scale pixels adds, in its pixels
  picture = _blur(picture ** look.gamma, jnp.sqrt((look.blur * scale) ** 2 + shrink_blur))
  picture = picture + look.noise * np.sqrt(12) * pixel_noise(look.sensor_seed)
  low, high = picture.min(), picture.max()
  stretched = (picture - low) * (1 / jnp.maximum(high - low, 1e-3))  # as the Leiden photos were
  return jnp.round(255 * jnp.clip(stretched, 0, 1)).astype(jnp.uint8)


def _rotation(axis: jax.Array, angle: jax.Array) -> jax.Array:
  """Rodrigues' formula: rotation by `angle` about the unit vector `axis`."""
  cross = jnp.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
  return jnp.eye(3) + jnp.sin(angle) * cross + (1 - jnp.cos(angle)) * cross @ cross


def _camera(look: looks.Look, image_size: int) -> jax.Array:
  """The 3x4 pinhole camera mapping dial points (x, y, z, 1) to w * (col, row, 1); +z points to the floor."""
  spin = _rotation(jnp.array([0.0, 0.0, 1.0]), look.rotation)
  tilt = _rotation(jnp.array([jnp.cos(look.tilt_axis), jnp.sin(look.tilt_axis), 0.0]), look.tilt)
  focal = look.face_radius * image_size * look.camera_distance  # so that a facing dial has face_radius
  intrinsics = jnp.array([[focal, 0, image_size * (0.5 + look.offset_x)],
                          [0, focal, image_size * (0.5 + look.offset_y)],
                          [0, 0, 1]])
  translation = jnp.array([0, 0, look.camera_distance])[:, None]
  return intrinsics @ jnp.concatenate([tilt @ spin, translation], axis=1)


def _apply(homography: jax.Array, cols: jax.Array, rows: jax.Array) -> tuple[jax.Array, jax.Array]:
  x = homography[0, 0] * cols + homography[0, 1] * rows + homography[0, 2]
  y = homography[1, 0] * cols + homography[1, 1] * rows + homography[1, 2]
  w = homography[2, 0] * cols + homography[2, 1] * rows + homography[2, 2]
  return x / w, y / w


def _inside(distance: jax.Array, radius: jax.Array, edge: jax.Array) -> jax.Array:
  """Coverage of the set distance < radius, ramped over `edge` so that outlines are anti-aliased."""
  return jnp.clip((radius - distance) * (1 / edge) + 0.5, 0, 1)


def _segment_distance(x, y, end_x, end_y) -> jax.Array:
  """Distance from (x, y) to the segment from the origin to (end_x, end_y)."""
  along = jnp.clip((x * end_x + y * end_y) * (1 / jnp.maximum(end_x ** 2 + end_y ** 2, 1e-12)), 0, 1)
  return jnp.hypot(x - along * end_x, y - along * end_y)


def _hand(x, y, angle, length, width, tail, taper, edge) -> jax.Array:
  """Coverage of a hand at `angle` (clockwise from 12): a tail of `tail` * length behind the hub, then a bar
  that narrows by `taper` towards its rounded tip."""
  direction_x, direction_y = jnp.sin(angle), -jnp.cos(angle)
  along = x * direction_x + y * direction_y
  across = x * direction_y - y * direction_x
  nearest = jnp.clip(along, -tail * length, length)
  half_width = 0.5 * width * (1 - jnp.maximum(nearest, 0) * (taper / length))
  return _inside(jnp.hypot(along - nearest, across), half_width, edge)


def _sample_ink(style: jax.Array, x: jax.Array, y: jax.Array, textures: np.ndarray) -> jax.Array:
  """Bilinear lookup in a dial texture; the texture's border is blank, and so is everything beyond it.

  Four gathers of scalars from the flat texture: on CPU, XLA gathers scalars far faster than rows of four.
  """
  size = textures.shape[-1]
  flat = jnp.asarray(textures).reshape(-1)
  col = jnp.clip((x + 1) * (size / 2) - 0.5, 0, size - 1.001)
  row = jnp.clip((y + 1) * (size / 2) - 0.5, 0, size - 1.001)
  col0, row0 = jnp.floor(col), jnp.floor(row)
  col_weight, row_weight = col - col0, row - row0
  index = (style * size + row0.astype(jnp.int32)) * size + col0.astype(jnp.int32)
  top = flat[index] + (flat[index + 1] - flat[index]) * col_weight
  bottom = flat[index + size] + (flat[index + size + 1] - flat[index + size]) * col_weight
  return top + (bottom - top) * row_weight


def _hash(value: jax.Array) -> jax.Array:
  """A pseudo-random float in [0, 1) per uint32 (lowbias32); per pixel it costs far less than jax.random."""
  value = (value ^ (value >> 16)) * jnp.uint32(0x7FEB352D)
  value = (value ^ (value >> 15)) * jnp.uint32(0x846CA68B)
  return ((value ^ (value >> 16)) >> 8).astype(jnp.float32) / 2 ** 24


def _triangle(phase: jax.Array) -> jax.Array:
  """A wave of period 1 in [-1, 1]: as good as a sine for floor texture, and far cheaper."""
  return 4 * jnp.abs(phase - jnp.floor(phase) - 0.5) - 1


def _floor(look: looks.Look, x: jax.Array, y: jax.Array, fibres: jax.Array, scale: float) -> jax.Array:
  """Wooden decking meeting a woven carpet along a line; (x, y) are 150-px pixels from the picture's centre.

  Patterns finer than two of the picture's pixels fade out (`scale` is its size over 150), as they would when a
  sharper picture is shrunk, instead of aliasing into coarse stripes.
  """
  fade = lambda period: jnp.clip(period * scale - 1, 0, 1)
  cos, sin = jnp.cos(look.wood_angle), jnp.sin(look.wood_angle)
  along, across = x * cos + y * sin, y * cos - x * sin
  plank_position = across * (1 / look.plank_width)
  plank = jnp.floor(plank_position)
  within = plank_position - plank
  tone = _hash(plank.astype(jnp.int32).astype(jnp.uint32) + look.floor_seed) - 0.5
  wiggle = 0.3 * _triangle(along / 150 + 3 * tone)
  grain = _triangle(across * (1 / look.grain_spacing) + wiggle + 5 * tone) * (0.6 + 0.4 * _triangle(across / 11))
  grain = grain * fade(look.grain_spacing)
  seam = jnp.clip(1 - jnp.minimum(within, 1 - within) * look.plank_width / 1.5, 0, 1) ** 2
  wood = 0.25 * tone + 0.12 * grain - look.seam_depth * seam + 0.05 * fibres

  cos, sin = jnp.cos(look.carpet_angle), jnp.sin(look.carpet_angle)
  along, across = x * cos + y * sin, y * cos - x * sin
  per_weave = 1 / look.weave_period
  weave = _triangle(along * per_weave) * _triangle(across * per_weave) * fade(look.weave_period)
  stripes = _triangle((along + across) * (per_weave / 3))
  carpet = 0.2 * weave + 0.1 * stripes + 0.25 * fibres
  carpet_share = jnp.clip((across - look.carpet_split) / 4 + 0.5, 0, 1)
  return look.floor_gray + look.floor_contrast * (wood + (carpet - wood) * carpet_share)


def _blur(picture: jax.Array, sigma: jax.Array) -> jax.Array:
  """Separable gaussian blur over BLUR_RADIUS pixels each way, renormalised at the border; sigma varies per picture.

  Weighted sums of shifted copies added in a fixed order, so that N devices render what one does (XLA:CPU folds the
  batch into a matrix product's rows, and the product rounded otherwise with a shard's fewer rows). The
  optimization barrier makes XLA compute the picture once, not once per copy.
  """
  per_sigma = 1 / sigma
  weights = [jnp.exp(-0.5 * (offset * per_sigma) ** 2) for offset in range(-BLUR_RADIUS, BLUR_RADIUS + 1)]

  def blur_axis(picture, axis):
    size = picture.shape[axis]
    padded = jnp.pad(jax.lax.optimization_barrier(picture),
                     [(BLUR_RADIUS, BLUR_RADIUS) if a == axis else (0, 0) for a in range(picture.ndim)])
    inside = np.pad(np.ones(size, np.float32), BLUR_RADIUS)
    total = norm = 0
    for i, weight in enumerate(weights):
      total = total + weight * jax.lax.slice_in_dim(padded, i, i + size, axis=axis)
      norm = norm + weight * inside[i:i + size]
    return total * jnp.expand_dims(1 / norm, 1 - axis)

  return blur_axis(blur_axis(picture, 0), 1)
