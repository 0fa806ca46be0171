"""The printed markings of the synthetic clock faces: ticks and numerals, drawn once with PIL into textures.

The real Leiden clock has small, thin sans-serif numerals at about 0.76 of the face radius, bold hour ticks and
short minute ticks at the face's edge. The styles vary each of these around those values, over several fonts, so
that a reader cannot key on one typeface or tick shape. A few fonts are kept out of training (`HELD_OUT_FONTS`):
a reader that reads them as well as the others has learnt the numerals, not a font.
"""
import functools
import os
from typing import NamedTuple

import matplotlib
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

TEXTURE_SIZE = 256  # texels across the face; a 150 px picture shows the face at most ~180 px across
_SUPERSAMPLE = 4  # drawn large and box-filtered down, so that thin ticks and strokes come out anti-aliased

# matplotlib's own fonts, so that every machine draws the same dials. The real dial's font is a plain sans.
TRAINING_FONTS = ('DejaVuSans.ttf', 'DejaVuSans.ttf', 'DejaVuSansMono.ttf', 'DejaVuSerif.ttf', 'cmr10.ttf',
                  'DejaVuSans-Bold.ttf')
HELD_OUT_FONTS = ('cmss10.ttf', 'STIXGeneral.ttf', 'cmtt10.ttf')
# How far each font's strokes may be thinned (texels of the supersampled canvas): thin fonts not at all.
_THINNEST_STROKE = {'DejaVuSans.ttf': -1, 'DejaVuSansMono.ttf': -1, 'DejaVuSerif.ttf': -1, 'DejaVuSans-Bold.ttf': -3}


class DialStyle(NamedTuple):
  font: str
  numeral_height: float  # digit height, in face radii
  numeral_radius: float  # where the digit centres sit
  stroke: int  # texels of the supersampled canvas added to (or, negative, taken from) each side of a stroke
  tick_radius: float  # the ticks' outer end
  hour_tick: tuple[float, float]  # (length, width) of the 12 bold ticks, inwards from tick_radius
  minute_tick: tuple[float, float]
  round_minute_ticks: bool  # dots rather than dashes


# Style 0 is the closest to the real clock (and what upright renders use); the rest vary around it.
CANONICAL = DialStyle('DejaVuSans.ttf', 0.14, 0.76, 0, 0.95, (0.09, 0.035), (0.035, 0.015), False)
_STYLES_PER_FONT = 4


def _varied_styles(fonts: tuple[str, ...], seed: int) -> list[DialStyle]:
  rng = np.random.default_rng(seed)
  styles = []
  for font in fonts:
    for _ in range(_STYLES_PER_FONT):
      height = rng.uniform(0.10, 0.18)
      tick_radius = rng.uniform(0.92, 0.98)
      hour_tick = (rng.uniform(0.05, 0.12), rng.uniform(0.02, 0.05))
      styles.append(DialStyle(
          font=font, numeral_height=height,
          # Far enough in that the numerals clear the hour ticks.
          numeral_radius=min(rng.uniform(0.70, 0.80), tick_radius - hour_tick[0] - 0.7 * height),
          stroke=int(rng.integers(_THINNEST_STROKE.get(font, 0), 2)), tick_radius=tick_radius, hour_tick=hour_tick,
          minute_tick=(rng.uniform(0.015, 0.05), rng.uniform(0.008, 0.022)),
          round_minute_ticks=bool(rng.random() < 0.3)))
  return styles


STYLES = (CANONICAL, *_varied_styles(TRAINING_FONTS, seed=0), *_varied_styles(HELD_OUT_FONTS, seed=1))
NUM_TRAINING_STYLES = 1 + len(TRAINING_FONTS) * _STYLES_PER_FONT  # styles [0, NUM_TRAINING_STYLES) are for training


@functools.cache
def textures(size: int = TEXTURE_SIZE) -> np.ndarray:
  """Ink coverage (styles, size, size) over dial coordinates [-1, 1]^2; a constant, drawn once per process.

  Smaller pictures sample smaller textures (box-filtered down), so that their numerals do not alias.
  """
  if size == TEXTURE_SIZE:
    return np.stack([draw(style) for style in STYLES])
  return np.stack([np.asarray(Image.fromarray(texture).resize((size, size), Image.Resampling.BOX))
                   for texture in textures()])


def draw(style: DialStyle) -> np.ndarray:
  """One style's ink coverage in [0, 1], float32 (T, T); 12 o'clock at the top."""
  size = TEXTURE_SIZE * _SUPERSAMPLE
  scale = size / 2  # pixels per face radius
  canvas = Image.new('L', (size, size), 0)
  pen = ImageDraw.Draw(canvas)

  def point(radius, angle):
    return (scale * (1 + radius * np.sin(angle)), scale * (1 - radius * np.cos(angle)))

  for tick in range(60):
    angle = np.radians(tick * 6)
    length, width = style.hour_tick if tick % 5 == 0 else style.minute_tick
    if tick % 5 and style.round_minute_ticks:
      x, y = point(style.tick_radius - width / 2, angle)
      half = width / 2 * scale
      pen.ellipse([x - half, y - half, x + half, y + half], fill=255)
    else:
      pen.line([point(style.tick_radius - length, angle), point(style.tick_radius, angle)], fill=255,
               width=max(1, round(width * scale)))

  numerals = Image.new('L', (size, size), 0)
  pen = ImageDraw.Draw(numerals)
  font_path = os.path.join(matplotlib.get_data_path(), 'fonts', 'ttf', style.font)
  _, top, _, bottom = ImageFont.truetype(font_path, 100).getbbox('0')
  font = ImageFont.truetype(font_path, round(100 * style.numeral_height * scale / (bottom - top)))
  for hour in range(1, 13):
    left, top, right, bottom = pen.textbbox((0, 0), str(hour), font=font)
    x, y = point(style.numeral_radius, np.radians(hour * 30))
    pen.text((x - (left + right) / 2, y - (top + bottom) / 2), str(hour), fill=255, font=font)
  if style.stroke:  # a max filter thickens white strokes, a min filter thins them
    grow = ImageFilter.MaxFilter if style.stroke > 0 else ImageFilter.MinFilter
    numerals = numerals.filter(grow(2 * abs(style.stroke) + 1))

  ink = np.maximum(np.asarray(canvas), np.asarray(numerals))
  small = Image.fromarray(ink).resize((TEXTURE_SIZE, TEXTURE_SIZE), Image.Resampling.BOX)
  return np.asarray(small, np.float32) / 255
