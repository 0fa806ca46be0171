"""What changes a batch source's training pictures on the device, inside the jitted step: Task 1's flips and
shifts, random erasing, and 150 px clocks seen as 75 px photos of them. `Augmented` wraps any source with one."""
import dataclasses
from typing import Callable, TYPE_CHECKING

import jax
import jax.numpy as jnp

from timeread_jax import pictures

if TYPE_CHECKING:
  from timeread_jax.sources import BatchSource


def flip_and_shift(key: jax.Array, images: jax.Array, max_shift: int = 2) -> jax.Array:
  """Training augmentation for Task 1, on the device: each image (N, H, W[, C]) mirrored left-right with
  probability 1/2 and shifted by up to `max_shift` pixels along each axis, the uncovered border zero."""
  flip_key, shift_key = jax.random.split(key)
  num, height, width = images.shape[:3]
  flipped = jax.random.bernoulli(flip_key, 0.5, (num,)).reshape((num,) + (1,) * (images.ndim - 1))
  images = jnp.where(flipped, images[:, :, ::-1], images)
  border = [(0, 0), (max_shift, max_shift), (max_shift, max_shift)] + [(0, 0)] * (images.ndim - 3)
  offsets = jax.random.randint(shift_key, (num, 2), 0, 2 * max_shift + 1)
  crop = lambda image, offset: jax.lax.dynamic_slice(
      image, (offset[0], offset[1]) + (0,) * (images.ndim - 3), (height, width) + images.shape[3:])
  return jax.vmap(crop)(jnp.pad(images, border), offsets)


def erase_rectangles(key: jax.Array, images: jax.Array, probability: float, min_area: float = 0.02,
                     max_area: float = 0.15) -> jax.Array:
  """Random erasing (Zhong et al., 2017) on the device: in each image (N, H, W[, C]), with `probability`, a
  rectangle of `min_area` to `max_area` of the picture (aspect 1/3 to 3) becomes one random grey (0-255), an
  occluder or a glare unlike any the clock renderer draws, which the reader must read past."""
  area_key, aspect_key, place_key, erase_key, grey_key = jax.random.split(key, 5)
  num, height, width = images.shape[:3]
  area = jax.random.uniform(area_key, (num,), minval=min_area, maxval=max_area) * height * width
  aspect = jnp.exp(jax.random.uniform(aspect_key, (num,), minval=-jnp.log(3.0), maxval=jnp.log(3.0)))
  size = jnp.stack([jnp.minimum(jnp.sqrt(area * aspect), height), jnp.minimum(jnp.sqrt(area / aspect), width)], -1)
  corner = jax.random.uniform(place_key, (num, 2)) * (jnp.array([height, width]) - size)
  rows = jnp.arange(height)[None, :, None] + 0.5
  cols = jnp.arange(width)[None, None, :] + 0.5
  inside = ((rows >= corner[:, 0, None, None]) & (rows < (corner[:, 0] + size[:, 0])[:, None, None])
            & (cols >= corner[:, 1, None, None]) & (cols < (corner[:, 1] + size[:, 1])[:, None, None]))
  inside &= jax.random.bernoulli(erase_key, probability, (num,))[:, None, None]
  grey = jax.random.randint(grey_key, (num, 1, 1), 0, 256).astype(images.dtype)
  extra = (1,) * (images.ndim - 3)
  return jnp.where(inside.reshape(inside.shape + extra), grey.reshape(grey.shape + extra), images)


def some_through_75px(key: jax.Array, images: jax.Array, probability: float) -> jax.Array:
  """uint8 150 px pictures (N, 150, 150), a `probability` of them as a 150 px reader sees a 75 px photo of them:
  halved by block means as the course's 75 px files were made, enlarged back and stretched
  (pictures.reader_pictures); blurrier than any 150 px render, as the real development photos reach a 150 px
  reader."""
  images = jnp.asarray(images)  # resize_images takes numpy's path for numpy arrays
  enlarged = pictures.resize_images(pictures.resize_images(images, 75), images.shape[1]).astype(jnp.float32)
  seen = pictures.stretched(enlarged).astype(jnp.uint8)
  return jnp.where(jax.random.bernoulli(key, probability, (len(images), 1, 1)), seen, images)


@dataclasses.dataclass(frozen=True)
class Augmented:
  """`source`'s batches with `augment(key, images)` applied to their pictures, e.g. `erase_rectangles`."""
  source: 'BatchSource'
  augment: Callable[[jax.Array, jax.Array], jax.Array]

  def device_data(self, train_split: tuple):
    return self.source.device_data(train_split)

  def batch(self, data, indices, key, step):
    source_key, augment_key = jax.random.split(key)
    images, labels = self.source.batch(data, indices, source_key, step)
    return self.augment(augment_key, images), labels
