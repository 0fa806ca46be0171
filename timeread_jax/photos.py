"""Users' own clock photos (PNG, JPEG... of any size and colour) made into pictures like the Leiden ones.

A photo becomes grayscale, is centre-cropped to a square and resized to the reader's size (which a reader then
min-max stretches, as it does every picture). Each problem with a file is a `DataError` of one line that names it.
"""
import os

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from timeread_jax.errors import DataError

MIN_SIDE = 32  # pixels; below this a photo cannot show a dial's numerals
IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp', '.gif', '.tif', '.tiff', '.webp')


def expand(paths: list[str]) -> list[str | DataError]:
  """Each argument as the files it names: itself, a folder's image files in name order, or a .npy file's images
  as `FILE.npy[i]`; an argument that names none is a DataError in its place."""
  expanded = []
  for path in paths:
    if os.path.isdir(path):
      found = sorted(os.path.join(path, name) for name in os.listdir(path)
                     if name.lower().endswith(IMAGE_SUFFIXES) and os.path.isfile(os.path.join(path, name)))
      expanded.extend(found or [DataError(f'{path}: a folder with no images ({", ".join(IMAGE_SUFFIXES)})')])
    elif path.lower().endswith('.npy') and os.path.isfile(path):
      try:
        count = len(_npy_images(path))
      except DataError as error:
        expanded.append(error)
        continue
      expanded.extend(f'{path}[{index}]' for index in range(count))
    else:
      expanded.append(path)
  return expanded


def load(path: str, size: int) -> np.ndarray:
  """The photo at `path` (or `FILE.npy[i]`, from expand) as uint8 (size, size)."""
  if path.endswith(']') and '.npy[' in path:
    file, index = path[:-1].rsplit('[', 1)
    return _prepare(_npy_images(file)[int(index)], path, size)
  if not os.path.isfile(path):
    raise DataError(f'{path}: no such file')
  if os.path.getsize(path) == 0:
    raise DataError(f'{path}: empty file')
  try:
    with Image.open(path) as image:
      image = ImageOps.exif_transpose(image)  # a mirrored camera orientation would mirror the clock
      pixels = _grayscale(image)
  except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
    raise DataError(f'{path}: not a readable image ({str(error).splitlines()[0] if str(error) else type(error).__name__})'
                    ) from None
  return _prepare(pixels, path, size)


def _grayscale(image: Image.Image) -> np.ndarray:
  """Grey levels 0-255 of any PIL mode; 16- and 32-bit ones are scaled down, not clipped."""
  if image.mode in ('I;16', 'I;16L', 'I;16B', 'I;16N', 'I', 'F'):
    pixels = np.asarray(image, np.float64)
    top = 65535 if image.mode.startswith('I;16') else max(float(pixels.max()), 1.0)
    return np.round(np.clip(pixels / top, 0, 1) * 255).astype(np.uint8)
  return np.asarray(image.convert('L'), np.uint8)


def _npy_images(path: str) -> np.ndarray:
  try:
    images = np.load(path, allow_pickle=False)
  except (OSError, ValueError, EOFError) as error:
    raise DataError(f'{path}: not a readable .npy file ({str(error).splitlines()[0]})') from None
  if images.ndim == 4 and images.shape[-1] == 1:
    images = images[..., 0]
  if images.ndim == 2:
    images = images[None]
  if images.ndim != 3 or images.dtype != np.uint8 or not len(images):
    raise DataError(f'{path}: {images.dtype} array of shape {images.shape}, expected uint8 images (N, H, W)')
  return images


def _prepare(pixels: np.ndarray, path: str, size: int) -> np.ndarray:
  height, width = pixels.shape
  if min(height, width) < MIN_SIDE:
    raise DataError(f'{path}: {width}x{height} pixels, too small to show a clock (at least {MIN_SIDE}x{MIN_SIDE})')
  side = min(height, width)
  top, left = (height - side) // 2, (width - side) // 2
  square = Image.fromarray(pixels[top:top + side, left:left + side])
  resample = Image.Resampling.BOX if side >= size else Image.Resampling.BILINEAR
  return np.asarray(square.resize((size, size), resample), np.uint8)
