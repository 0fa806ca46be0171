"""Synthetic analog-clock photos that look like the Leiden tell-the-time data, and that data's loader.

Nobody has the real photos at hand, so we render look-alikes. The dial's markings (ticks, numerals) are drawn
once with PIL into a small texture; each picture then maps every pixel through a random camera homography back
to the dial, samples the texture, draws the hands analytically in dial coordinates (so they tilt with the dial)
and composites over a procedural floor, followed by lighting, glare, blur, noise and a min-max stretch.
Everything per picture is jax.numpy with static shapes, so the same code fills the on-disk cache on CPU and
makes fresh batches inside a jitted train step on an accelerator.

Dial coordinates: face radius 1, x to the right, y down, 12 o'clock at -y; hand angles run clockwise from 12.
"""
import functools
import os
from typing import NamedTuple

import jax
import jax.numpy as jnp
import matplotlib
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from timeread_jax import files
from timeread_jax.datasets import DataError
from timeread_jax.datasets import shuffle_split
from timeread_jax.datasets import Splits

IMAGE_SIZE = 150
GENERATOR_VERSION = 1
CHUNK_SIZE = 256  # images per jitted call in make_clocks: bounds memory, amortises dispatch
SYNTHETIC_SIZE = 18_000  # as many as the Leiden set
SYNTHETIC_SEED = 0  # one synthetic set for every run, so that runs with different seeds share a test set
TEST_FRACTION = 0.2  # the report's 80/20 split
VAL_FRACTION = 0.1  # of the training part, unless a validation size is given

_TEXTURE_SIZE = 256  # texels across the face; a 150 px picture shows the face at most ~180 px across
_UPRIGHT_FACE_RADIUS = 0.4  # of the image size, in upright renders


class _DialStyle(NamedTuple):
  font: str
  numeral_height: float  # digit height, in face radii
  numeral_radius: float  # where the digit centres sit
  hour_tick: tuple[float, float]  # (length, width) of the 12 bold ticks, from near the face's edge inwards
  minute_tick: tuple[float, float]


# Variants of one kind of wall clock, so that a reader cannot key on a single font or tick shape.
_DIAL_STYLES = (
    _DialStyle('DejaVuSans.ttf', 0.13, 0.77, (0.09, 0.030), (0.035, 0.018)),
    _DialStyle('DejaVuSans.ttf', 0.16, 0.75, (0.11, 0.035), (0.05, 0.012)),
    _DialStyle('DejaVuSans-Bold.ttf', 0.14, 0.76, (0.08, 0.040), (0.035, 0.018)),
    _DialStyle('DejaVuSerif.ttf', 0.15, 0.75, (0.10, 0.030), (0.045, 0.014)),
)


@functools.cache
def _dial_textures() -> np.ndarray:
  """Ink coverage (styles, T, T) over dial coordinates [-1, 1]^2; a constant, drawn once per process."""
  return np.stack([_draw_dial(style) for style in _DIAL_STYLES])


def _draw_dial(style: _DialStyle) -> np.ndarray:
  supersample = 4  # draw large and box-filter down, so that thin ticks and strokes come out anti-aliased
  size = _TEXTURE_SIZE * supersample
  scale = size / 2  # pixels per face radius
  canvas = Image.new('L', (size, size), 0)
  draw = ImageDraw.Draw(canvas)

  def point(radius, angle):
    return (scale * (1 + radius * np.sin(angle)), scale * (1 - radius * np.cos(angle)))

  for tick in range(60):
    length, width = style.hour_tick if tick % 5 == 0 else style.minute_tick
    angle = np.radians(tick * 6)
    draw.line([point(0.96 - length, angle), point(0.96, angle)], fill=255, width=round(width * scale))

  font_path = os.path.join(matplotlib.get_data_path(), 'fonts', 'ttf', style.font)
  _, top, _, bottom = ImageFont.truetype(font_path, 100).getbbox('0')
  font = ImageFont.truetype(font_path, round(100 * style.numeral_height * scale / (bottom - top)))
  for hour in range(1, 13):
    left, top, right, bottom = draw.textbbox((0, 0), str(hour), font=font)
    x, y = point(style.numeral_radius, np.radians(hour * 30))
    draw.text((x - (left + right) / 2, y - (top + bottom) / 2), str(hour), fill=255, font=font)

  small = canvas.resize((_TEXTURE_SIZE, _TEXTURE_SIZE), Image.Resampling.BOX)
  return np.asarray(small, np.float32) / 255


def random_labels(key: jax.Array, num: int) -> jax.Array:
  """(hour 0-11, minute 0-59) int32 (num, 2), uniform over the 720 positions of the hands."""
  minutes = jax.random.randint(key, (num,), 0, 720)
  return jnp.stack([minutes // 60, minutes % 60], axis=-1).astype(jnp.int32)


@functools.partial(jax.jit, static_argnames=('image_size', 'upright'))
def render_clocks(key: jax.Array, labels: jax.Array, image_size: int = IMAGE_SIZE, *,
                  upright: bool = False) -> jax.Array:
  """Clock photos uint8 (N, S, S) showing `labels` (N, 2); all else (pose, light, floor...) is drawn from `key`.

  `upright=True` gives a canonical view that tests and figures can measure: dial facing the camera, 12 up,
  centred, face radius 0.4 * image_size, first dial style, even light, no glare or noise, slight blur.
  """
  keys = jax.random.split(key, len(labels))
  return jax.vmap(lambda k, label: _render_one(k, label, image_size, upright))(keys, labels)


@functools.partial(jax.jit, static_argnames='image_size')
def _render_indexed(key, indices, labels, image_size):
  """Example i depends only on (key, i), so a dataset does not change with the chunking that made it."""
  keys = jax.vmap(jax.random.fold_in, in_axes=(None, 0))(key, indices)
  return jax.vmap(lambda k, label: _render_one(k, label, image_size, False))(keys, labels)


def make_clocks(num_examples: int, seed: int, image_size: int = IMAGE_SIZE, *,
                chunk_size: int = CHUNK_SIZE) -> tuple[np.ndarray, np.ndarray]:
  """A synthetic dataset: images uint8 (N, S, S) and labels int64 (N, 2), a function of `seed` alone."""
  label_key, image_key = jax.random.split(jax.random.key(seed))
  labels = np.asarray(random_labels(label_key, num_examples), np.int64)
  images = np.empty((num_examples, image_size, image_size), np.uint8)
  chunk = min(chunk_size, num_examples)  # one compiled shape; the last chunk repeats its final index
  for start in range(0, num_examples, chunk):
    indices = np.minimum(np.arange(start, start + chunk), num_examples - 1)
    rendered = _render_indexed(image_key, indices, labels[indices], image_size)
    images[start:start + chunk] = np.asarray(rendered)[:num_examples - start]
  return images, labels


def cached_clocks(num_examples: int, seed: int, cache_dir: str) -> tuple[np.ndarray, np.ndarray]:
  """make_clocks(num_examples, seed) at IMAGE_SIZE, rendered once and then read from `cache_dir`."""
  path = os.path.join(cache_dir, f'clocks-n{num_examples}-seed{seed}-{IMAGE_SIZE}px-v{GENERATOR_VERSION}.npz')
  if os.path.exists(path):
    try:
      with np.load(path, allow_pickle=False) as cached:
        return cached['images'], cached['labels']
    except (OSError, ValueError, KeyError) as error:
      raise DataError(f'{path}: unreadable cache entry ({_first_line(error)}); delete it to render again') from None
  images, labels = make_clocks(num_examples, seed)
  os.makedirs(cache_dir, exist_ok=True)
  files.write_atomically(path, lambda file: np.savez(file, images=images, labels=labels))
  return images, labels


def cache_dir() -> str:
  """Where rendered datasets are kept: $TIMEREAD_CACHE, else ~/.cache/timeread_jax."""
  return os.environ.get('TIMEREAD_CACHE') or os.path.join(os.path.expanduser('~'), '.cache', 'timeread_jax')


def load_splits(data_dir: str, *, num_examples: int, seed: int, image_size: int, val_size: int) -> Splits:
  """The report's clock splits of the Leiden photos in `data_dir` or, with no `data_dir`, of the synthetic set.

  `num_examples` keeps the first N examples (0: all; the synthetic set renders just N); the split is shuffled
  by `seed`: 20% test, then `val_size` (0: 10%) of the rest for validation.
  """
  if data_dir:
    images, labels = load_leiden(data_dir)
    if num_examples:
      images, labels = images[:num_examples], labels[:num_examples]
  else:
    images, labels = cached_clocks(num_examples or SYNTHETIC_SIZE, SYNTHETIC_SEED, cache_dir())
  num_train = len(images) - int(round(len(images) * TEST_FRACTION))
  return shuffle_split(resize_images(images, image_size), labels.astype(np.int32), seed=seed,
                       test_fraction=TEST_FRACTION, val_size=val_size or max(1, int(round(num_train * VAL_FRACTION))))


def save_leiden(out_dir: str, images: np.ndarray, labels: np.ndarray) -> None:
  """Writes `out_dir`/images.npy and labels.npy, the layout load_leiden reads."""
  os.makedirs(out_dir, exist_ok=True)
  files.write_atomically(os.path.join(out_dir, 'images.npy'), lambda file: np.save(file, images))
  files.write_atomically(os.path.join(out_dir, 'labels.npy'), lambda file: np.save(file, labels))


def load_leiden(data_dir: str) -> tuple[np.ndarray, np.ndarray]:
  """The Leiden clocks (or save_leiden's): images uint8 (N, 150, 150), labels int64 (N, 2) = (hour, minute)."""
  if not os.path.isdir(data_dir):
    raise DataError(f'{data_dir}: no such directory; it should hold images.npy and labels.npy')
  images_path = os.path.join(data_dir, 'images.npy')
  labels_path = os.path.join(data_dir, 'labels.npy')
  images, labels = _load_array(images_path), _load_array(labels_path)
  if images.ndim == 4 and images.shape[-1] == 1:
    images = images[..., 0]
  if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE) or not len(images):
    raise DataError(f'{images_path}: shape {images.shape}, expected (N, {IMAGE_SIZE}, {IMAGE_SIZE}) with N > 0')
  if images.dtype != np.uint8:
    # NaN is worth naming apart from the dtype: a cast to uint8 would quietly make it an arbitrary grey level.
    non_finite = ~np.isfinite(images) if np.issubdtype(images.dtype, np.inexact) else np.zeros(0, bool)
    if non_finite.any():
      raise DataError(f'{images_path}: {np.count_nonzero(non_finite)} NaN or infinite {images.dtype} pixels (first '
                      f'in image {np.argwhere(non_finite)[0, 0]}), expected uint8 grey levels 0-255')
    raise DataError(f'{images_path}: dtype {images.dtype}, expected uint8 grey levels 0-255')
  if not np.issubdtype(labels.dtype, np.integer):
    raise DataError(f'{labels_path}: dtype {labels.dtype}, expected integers (hour, minute)')
  if labels.ndim != 2 or labels.shape[1] != 2:
    raise DataError(f'{labels_path}: shape {labels.shape}, expected (N, 2) rows of (hour, minute)')
  if len(labels) != len(images):
    raise DataError(f'{labels_path}: {len(labels)} labels for the {len(images)} images in {images_path}')
  for column, name, limit in ((0, 'hour', 12), (1, 'minute', 60)):
    bad = np.flatnonzero((labels[:, column] < 0) | (labels[:, column] >= limit))
    if len(bad):
      raise DataError(f'{labels_path}: row {bad[0]} has {name} {labels[bad[0], column]}, outside 0-{limit - 1}')
  return images, labels.astype(np.int64)


def resize_images(images, image_size: int):
  """uint8 (N, S, S) at image_size: block means for integer factors (150 -> 75), else an area-like filter.

  numpy in, numpy out (stored data); a jax array in, a jax array out (fresh batches inside a jitted step).
  """
  size = images.shape[1]
  if size == image_size:
    return images
  xp = np if isinstance(images, np.ndarray) else jnp
  if size % image_size == 0:
    factor = size // image_size
    blocks = images.reshape(len(images), image_size, factor, image_size, factor)
    sums = blocks.sum(axis=(2, 4), dtype=xp.uint32)
    return ((sums + factor * factor // 2) // (factor * factor)).astype(xp.uint8)
  if xp is jnp:
    resized = jax.image.resize(images.astype(jnp.float32), (len(images), image_size, image_size), 'linear')
    return jnp.round(resized).astype(jnp.uint8)  # jax.image.resize antialiases when shrinking
  resized = np.empty((len(images), image_size, image_size), np.uint8)
  for index, image in enumerate(images):
    resized[index] = Image.fromarray(image).resize((image_size, image_size), Image.Resampling.BOX)
  return resized


def _load_array(path: str) -> np.ndarray:
  if not os.path.isfile(path):
    raise DataError(f'{path}: file not found')
  try:
    array = np.load(path, allow_pickle=False)
  except (OSError, ValueError, EOFError) as error:
    raise DataError(f'{path}: not a readable .npy file ({_first_line(error)})') from None
  if not isinstance(array, np.ndarray):
    raise DataError(f'{path}: holds an archive of arrays, expected a single .npy array')
  return array


def _first_line(error: Exception) -> str:
  return (str(error).splitlines() or [type(error).__name__])[0]


class _Look(NamedTuple):
  """The nuisance parameters of one picture; lengths on the dial are in face radii."""
  rotation: jax.Array  # in-plane, radians
  tilt: jax.Array  # out-of-plane, radians
  tilt_axis: jax.Array
  camera_distance: jax.Array  # small means strong perspective
  face_radius: jax.Array  # of a dial facing the camera, as a fraction of the image size
  offset_x: jax.Array  # of the dial centre from the image centre, fraction of the image size
  offset_y: jax.Array
  style: jax.Array  # index into _DIAL_STYLES
  face_gray: jax.Array
  ink_gray: jax.Array
  hand_gray: jax.Array
  rim_gray: jax.Array
  rim_radius: jax.Array  # outer edge
  bezel_width: jax.Array  # the light ring between face and rim
  rim_depth: jax.Array  # how far the rim stands off the floor
  hour_length: jax.Array
  hour_width: jax.Array
  minute_length: jax.Array
  minute_width: jax.Array
  shadow_x: jax.Array  # of the clock's shadow on the floor
  shadow_y: jax.Array
  shadow_gray: jax.Array  # how much the shadow darkens the floor
  floor_gray: jax.Array
  floor_contrast: jax.Array
  wood_angle: jax.Array
  plank_width: jax.Array  # floor sizes are in pixels of a 150 px picture
  grain_spacing: jax.Array
  carpet_angle: jax.Array
  weave_period: jax.Array
  carpet_split: jax.Array  # where the floor turns from wood to carpet; often outside the picture
  light_angle: jax.Array
  light_gradient: jax.Array  # brightness change across the picture
  glare: jax.Array  # peak brightness the glare spot adds; 0 for none
  glare_x: jax.Array
  glare_y: jax.Array
  glare_radius: jax.Array
  blur: jax.Array  # gaussian sigma, pixels of a 150 px picture
  noise: jax.Array  # sensor noise standard deviation
  floor_seed: jax.Array  # uint32 seeds of the per-plank and per-pixel hashes
  fibre_seed: jax.Array
  sensor_seed: jax.Array


def _draw_look(key: jax.Array, upright: bool) -> _Look:
  """Every nuisance range in one place; `upright` swaps each for the canonical value in its last argument."""
  keys = iter(jax.random.split(key, 2 * len(_Look._fields)))  # enough for every draw below

  def uniform(low, high, upright_value):
    value = jax.random.uniform(next(keys), (), minval=low, maxval=high)
    return jnp.float32(upright_value) if upright else value

  def chance(probability, value):
    return jnp.where(jax.random.uniform(next(keys)) < probability, value, 0.0)

  def seed():
    return jax.random.bits(next(keys), (), jnp.uint32)

  return _Look(
      rotation=uniform(0, 2 * np.pi, 0),
      tilt=uniform(0, np.radians(52), 0),
      tilt_axis=uniform(0, np.pi, 0),
      camera_distance=uniform(3.5, 9.0, 6.0),
      face_radius=uniform(0.34, 0.52, _UPRIGHT_FACE_RADIUS),
      offset_x=uniform(-0.09, 0.09, 0),
      offset_y=uniform(-0.09, 0.09, 0),
      style=jnp.int32(0) if upright else jax.random.randint(next(keys), (), 0, len(_DIAL_STYLES)),
      face_gray=uniform(0.82, 0.97, 0.9),
      ink_gray=uniform(0.08, 0.4, 0.15),
      hand_gray=uniform(0.0, 0.08, 0.05),
      rim_gray=uniform(0.18, 0.4, 0.3),
      rim_radius=uniform(1.12, 1.22, 1.16),
      bezel_width=uniform(0.015, 0.04, 0.025),
      rim_depth=uniform(0.08, 0.2, 0.12),
      hour_length=uniform(0.44, 0.54, 0.5),
      hour_width=uniform(0.065, 0.085, 0.075),
      minute_length=uniform(0.72, 0.86, 0.8),
      minute_width=uniform(0.035, 0.048, 0.04),
      shadow_x=uniform(-0.12, 0.12, 0),
      shadow_y=uniform(-0.12, 0.12, 0),
      shadow_gray=uniform(0.1, 0.5, 0),
      floor_gray=uniform(0.25, 0.55, 0.45),
      floor_contrast=uniform(0.5, 1.3, 1.0),
      wood_angle=uniform(0, np.pi, 0),
      plank_width=uniform(18, 45, 30),
      grain_spacing=uniform(2.5, 6, 4),
      carpet_angle=uniform(0, np.pi, 0),
      weave_period=uniform(3, 6, 4),
      carpet_split=uniform(-300, 300, 300),
      light_angle=uniform(0, 2 * np.pi, 0),
      light_gradient=uniform(0, 0.35, 0),
      glare=chance(0.25, uniform(0.3, 1.0, 0)),
      glare_x=uniform(-0.6, 0.6, 0),
      glare_y=uniform(-0.6, 0.6, 0),
      glare_radius=uniform(0.08, 0.25, 0.1),
      blur=uniform(0.25, 0.8, 0.3),
      noise=uniform(0.002, 0.012, 0),
      floor_seed=seed(),
      fibre_seed=seed(),
      sensor_seed=seed(),
  )


def _render_one(key: jax.Array, label: jax.Array, image_size: int, upright: bool) -> jax.Array:
  look = _draw_look(key, upright)
  rows, cols = jnp.mgrid[0:image_size, 0:image_size].astype(jnp.float32) + 0.5
  camera = _camera(look, image_size)
  to_dial = jnp.linalg.inv(camera[:, (0, 1, 3)])  # the dial plane z = 0 maps to pixels by a homography
  x, y = _apply(to_dial, cols, rows)
  radius = jnp.hypot(x, y)
  edge = 1 / (look.face_radius * image_size)  # about a pixel in face radii: the width of anti-aliased edges

  hour, minute = label[0].astype(jnp.float32), label[1].astype(jnp.float32)
  hands = jnp.maximum(
      _hand(x, y, jnp.radians((hour + minute / 60) * 30), look.hour_length, look.hour_width, edge),
      _hand(x, y, jnp.radians(minute * 6), look.minute_length, look.minute_width, edge))
  hands = jnp.maximum(hands, _inside(radius, 0.7 * look.hour_width, edge))  # the hub
  # The texture's slight blur (as two matrix products) also keeps XLA from fusing the gathers into the main
  # per-pixel loop, which would make that loop several times slower on CPU.
  ink = _blur(_sample_ink(look.style, x, y), jnp.float32(0.35))
  face = look.face_gray + (look.ink_gray - look.face_gray) * ink
  face = face + (look.hand_gray - face) * hands

  light_x, light_y = jnp.cos(look.light_angle), jnp.sin(look.light_angle)
  facing_light = (x * light_x + y * light_y) / jnp.maximum(radius, 1e-3)  # the rim's lit side is brighter
  bezel = 0.8 + 0.15 * facing_light
  rim = look.rim_gray * (1 + 0.35 * facing_light)
  # The rim's back edge lies rim_depth further from the camera than its front; seen at a slant it is the same
  # circle shifted to (back_x, back_y), and the rim's side wall fills the space between the two circles.
  back_col, back_row, back_w = camera @ jnp.array([0, 0, look.rim_depth, 1])
  back_x, back_y = _apply(to_dial, back_col / back_w, back_row / back_w)
  to_rim_body = _segment_distance(x, y, back_x, back_y)
  to_shadow = _segment_distance(x - look.shadow_x, y - look.shadow_y, back_x, back_y)

  pixels = jnp.arange(image_size * image_size, dtype=jnp.uint32).reshape(image_size, image_size)
  scale = image_size / IMAGE_SIZE
  floor = _floor(look, (cols - image_size / 2) / scale, (rows - image_size / 2) / scale,
                 _hash(pixels + look.fibre_seed) - 0.5)
  picture = floor * (1 - look.shadow_gray * _inside(to_shadow, look.rim_radius, 8 * edge))
  picture = picture + (0.7 * look.rim_gray - picture) * _inside(to_rim_body, look.rim_radius, edge)
  picture = picture + (rim - picture) * _inside(radius, look.rim_radius, edge)
  picture = picture + (bezel - picture) * _inside(radius, 1 + look.bezel_width, edge)
  picture = picture + (face - picture) * _inside(radius, 1, edge)
  glare = look.glare * jnp.exp(-0.5 * ((x - look.glare_x) ** 2 + (y - look.glare_y) ** 2) / look.glare_radius ** 2)
  picture = picture + glare * _inside(radius, 1 + look.bezel_width, edge)  # a reflection on the glass

  across = (cols * light_x + rows * light_y) / image_size - 0.5 * (light_x + light_y)
  picture = jnp.clip(picture * (1 + look.light_gradient * across), 0, 1)  # glare saturates the sensor
  picture = _blur(picture, look.blur * scale)
  picture = picture + look.noise * np.sqrt(12) * (_hash(pixels + look.sensor_seed) - 0.5)
  low, high = picture.min(), picture.max()
  stretched = (picture - low) / jnp.maximum(high - low, 1e-3)  # as the Leiden photos were
  return jnp.round(255 * jnp.clip(stretched, 0, 1)).astype(jnp.uint8)


def _rotation(axis: jax.Array, angle: jax.Array) -> jax.Array:
  """Rodrigues' formula: rotation by `angle` about the unit vector `axis`."""
  cross = jnp.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
  return jnp.eye(3) + jnp.sin(angle) * cross + (1 - jnp.cos(angle)) * cross @ cross


def _camera(look: _Look, image_size: int) -> jax.Array:
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
  return jnp.clip((radius - distance) / edge + 0.5, 0, 1)


def _segment_distance(x, y, end_x, end_y) -> jax.Array:
  """Distance from (x, y) to the segment from the origin to (end_x, end_y)."""
  along = jnp.clip((x * end_x + y * end_y) / jnp.maximum(end_x ** 2 + end_y ** 2, 1e-12), 0, 1)
  return jnp.hypot(x - along * end_x, y - along * end_y)


def _hand(x, y, angle, length, width, edge) -> jax.Array:
  """Coverage of a hand at `angle` (clockwise from 12): a short tail behind the hub, tapering to the tip."""
  direction_x, direction_y = jnp.sin(angle), -jnp.cos(angle)
  along = x * direction_x + y * direction_y
  across = x * direction_y - y * direction_x
  nearest = jnp.clip(along, -0.2 * length, length)
  half_width = 0.5 * width * (1 - 0.3 * jnp.maximum(nearest, 0) / length)
  return _inside(jnp.hypot(along - nearest, across), half_width, edge)


def _sample_ink(style: jax.Array, x: jax.Array, y: jax.Array) -> jax.Array:
  """Bilinear lookup in a dial texture; the texture's border is blank, and so is everything beyond it.

  Four gathers of scalars from the flat texture: on CPU, XLA gathers scalars far faster than rows of four.
  """
  size = _TEXTURE_SIZE
  flat = jnp.asarray(_dial_textures()).reshape(-1)
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


def _floor(look: _Look, x: jax.Array, y: jax.Array, fibres: jax.Array) -> jax.Array:
  """Wood planks meeting a woven carpet along a line; (x, y) are 150-px pixels from the picture's centre."""
  cos, sin = jnp.cos(look.wood_angle), jnp.sin(look.wood_angle)
  along, across = x * cos + y * sin, y * cos - x * sin
  plank_position = across / look.plank_width
  plank = jnp.floor(plank_position)
  within = plank_position - plank
  tone = _hash(plank.astype(jnp.int32).astype(jnp.uint32) + look.floor_seed) - 0.5
  wiggle = 0.3 * _triangle(along / 150 + 3 * tone)
  grain = _triangle(across / look.grain_spacing + wiggle + 5 * tone) * (0.6 + 0.4 * _triangle(across / 11))
  seam = jnp.clip(1 - jnp.minimum(within, 1 - within) * look.plank_width / 1.5, 0, 1) ** 2
  wood = 0.25 * tone + 0.12 * grain - 0.35 * seam + 0.05 * fibres

  cos, sin = jnp.cos(look.carpet_angle), jnp.sin(look.carpet_angle)
  along, across = x * cos + y * sin, y * cos - x * sin
  weave = _triangle(along / look.weave_period) * _triangle(across / look.weave_period)
  stripes = _triangle((along + across) / (3 * look.weave_period))
  carpet = 0.2 * weave + 0.1 * stripes + 0.25 * fibres
  carpet_share = jnp.clip((across - look.carpet_split) / 4 + 0.5, 0, 1)
  return look.floor_gray + look.floor_contrast * (wood + (carpet - wood) * carpet_share)


def _blur(picture: jax.Array, sigma: jax.Array) -> jax.Array:
  """Separable gaussian blur as two matrix products, renormalised at the border; sigma varies per picture.

  Products rather than sums of shifted copies: XLA would recompute the whole picture for every shifted copy.
  """
  positions = jnp.arange(picture.shape[0], dtype=jnp.float32)
  offsets = positions[:, None] - positions
  kernel = jnp.where(jnp.abs(offsets) <= 3, jnp.exp(-0.5 * (offsets / sigma) ** 2), 0)
  kernel = kernel / kernel.sum(axis=1, keepdims=True)
  return kernel @ picture @ kernel.T
