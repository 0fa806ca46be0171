"""Users' own clock photos (PNG, JPEG... of any size and colour) made into pictures like the Leiden ones.

A photo becomes grayscale, is centre-cropped to a square and resized to the reader's size (which a reader then
min-max stretches, as it does every picture). Each problem with a file is a `DataError` of one line that names it,
so that one hostile or broken file among many costs only its own line: a size too large or too small is refused
from the header, before anything is decoded.
"""
import os
import warnings

import numpy as np
from PIL import Image, ImageOps

from timeread_jax.errors import DataError, first_line

MIN_SIDE = 32  # pixels; below this a photo cannot show a dial's numerals
# Pixels in all: a 108 MP phone photo (12000x9000) still reads, and a decompression bomb (a few KB that claim
# 20000x20000) is refused before gigabytes are allocated. Pillow's own limit warns from 89 MP (silenced: this cap
# decides) and refuses from 179 MP.
MAX_PIXELS = 120_000_000
IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp', '.gif', '.tif', '.tiff', '.webp')
# Pillow's names for those formats: only their decoders are tried, so a file's content cannot reach another (an
# EPS file named .png would run Ghostscript).
FORMATS = ('PNG', 'JPEG', 'BMP', 'GIF', 'TIFF', 'WEBP')


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
    return _prepare(_npy_image(path), size)
  if not os.path.isfile(path):
    raise DataError(f'{path}: no such file')
  if os.path.getsize(path) == 0:
    raise DataError(f'{path}: empty file')
  try:
    with (warnings.catch_warnings(action='ignore', category=Image.DecompressionBombWarning),  # MAX_PIXELS decides
          Image.open(path, formats=FORMATS) as image):
      _check_size(*image.size, path)
      image.draft('L', (4 * size, 4 * size))  # a big JPEG decodes at 1/2 to 1/8 scale, still 4x the reader's size
      image.load()  # decoded here, inside the try: where a truncated file fails
      ImageOps.exif_transpose(image, in_place=True)  # a mirrored camera orientation would mirror the clock
      pixels = _grayscale(image)
  except DataError:
    raise
  except Image.DecompressionBombError as error:  # a size far past MAX_PIXELS, refused by Pillow before we see it
    raise DataError(f'{path}: too large ({first_line(error)})') from None
  except Exception as error:  # pylint: disable=broad-except  # a hostile file's decoder raises almost any type
    raise DataError(f'{path}: not a readable image ({first_line(error)})') from None
  return _prepare(pixels, size)


def _check_size(width: int, height: int, path: str) -> None:
  """Refuses a picture too large to decode safely or too small to show a clock, from its header alone."""
  if width * height > MAX_PIXELS:
    raise DataError(f'{path}: {width}x{height} pixels, too large (at most {MAX_PIXELS:,} in all)')
  if min(width, height) < MIN_SIDE:
    raise DataError(f'{path}: {width}x{height} pixels, too small to show a clock (at least {MIN_SIDE}x{MIN_SIDE})')


def _grayscale(image: Image.Image) -> np.ndarray:
  """Grey levels 0-255 of any PIL mode; 16- and 32-bit ones are scaled down, not clipped, and what is transparent
  is white, as on a page (a transparent background's own pixels are often black)."""
  if image.mode in ('I;16', 'I;16L', 'I;16B', 'I;16N', 'I', 'F'):
    pixels = np.nan_to_num(np.asarray(image, np.float64), nan=0, posinf=0, neginf=0)  # a float file may hold NaN
    top = 65535 if image.mode.startswith('I;16') else max(float(pixels.max()), 1.0)
    return np.round(np.clip(pixels / top, 0, 1) * 255).astype(np.uint8)
  if image.has_transparency_data:
    image = Image.alpha_composite(Image.new('RGBA', image.size, 'white'), image.convert('RGBA'))
  return np.asarray(image.convert('L'), np.uint8)


def _npy_images(path: str) -> np.ndarray:
  """The uint8 images of a .npy file, mapped rather than read: counting them reads only the header, and a header
  that claims more than the file holds is refused."""
  try:
    with np.errstate(over='ignore'):  # a hostile header's shape overflows while numpy checks it
      images = np.load(path, mmap_mode='r', allow_pickle=False)
  except (OSError, ValueError, EOFError, OverflowError) as error:
    raise DataError(f'{path}: not a readable .npy file ({first_line(error)})') from None
  if not isinstance(images, np.ndarray):  # np.load opens an .npz archive whatever its name
    images.close()
    raise DataError(f'{path}: an .npz archive, not a .npy array')
  if images.ndim == 4 and images.shape[-1] == 1:
    images = images[..., 0]
  if images.ndim == 2:
    images = images[None]
  if images.ndim != 3 or images.dtype != np.uint8 or not len(images):
    raise DataError(f'{path}: {images.dtype} array of shape {images.shape}, expected uint8 images (N, H, W)')
  _check_size(images.shape[2], images.shape[1], path)
  return images


def _npy_image(path: str) -> np.ndarray:
  """Image i of `FILE.npy[i]`."""
  file, index = path[:-1].rsplit('[', 1)
  images = _npy_images(file)
  if not (index.isdecimal() and int(index) < len(images)):
    raise DataError(f'{path}: no such image ({file} holds {len(images)})')
  return images[int(index)]


def _prepare(pixels: np.ndarray, size: int) -> np.ndarray:
  """The centre square of `pixels`, resized to (size, size)."""
  height, width = pixels.shape
  side = min(height, width)
  top, left = (height - side) // 2, (width - side) // 2
  square = Image.fromarray(pixels[top:top + side, left:left + side])
  resample = Image.Resampling.BOX if side >= size else Image.Resampling.BILINEAR
  return np.asarray(square.resize((size, size), resample), np.uint8)
