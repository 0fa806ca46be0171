"""Pictures as every reader sees them, in training and after: uint8 (N, S, S) at the reader's size, each min-max
stretched to 0-255 as the renderer leaves a picture at any size."""
import jax
import jax.numpy as jnp
import numpy as np
from PIL import Image


def resize_images(images, image_size: int):
  """uint8 (N, S, S) at image_size: block means for integer factors (150 -> 75), else an area-like filter when
  shrinking and a bilinear one when enlarging (75 -> 150).

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
  resample = Image.Resampling.BOX if image_size < size else Image.Resampling.BILINEAR
  for index, image in enumerate(images):
    resized[index] = Image.fromarray(image).resize((image_size, image_size), resample)
  return resized


def reader_pictures(images: np.ndarray, image_size: int, chunk_size: int = 1024) -> np.ndarray:
  """uint8 (N, S, S) as every reader sees them: at image_size (resize_images), each min-max stretched.

  Halving a stretched 150 px picture narrows its range (the synthetic 75 px splits and most Leiden 75 px files
  span less than 0-255), so without the stretch a 75 px reader of fresh clocks would read dimmer pictures than
  it learned on.
  """
  resized = resize_images(images, image_size)
  stretched_pictures = np.empty_like(resized)
  for start in range(0, len(resized), chunk_size):  # float copies of a chunk, not of the whole set
    stretched_pictures[start:start + chunk_size] = stretched(resized[start:start + chunk_size].astype(np.float32))
  return stretched_pictures


def stretched(pictures):
  """float pictures (N, S, S), numpy or jax, each min-max stretched to 0-255 and rounded (a flat one to 0)."""
  xp = np if isinstance(pictures, np.ndarray) else jnp
  low, high = pictures.min((1, 2), keepdims=True), pictures.max((1, 2), keepdims=True)
  return xp.round(255 * (pictures - low) / xp.maximum(high - low, 1))
