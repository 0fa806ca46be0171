"""The printed markings of the synthetic clock faces: ticks and numerals, drawn once with PIL into textures.

The real Leiden clock has small, thin sans-serif numerals at about 0.76 of the face radius, bold hour ticks and
short minute ticks at the face's edge. The styles vary each of these around those values, over several fonts, so
that a reader cannot key on one typeface or tick shape. A few fonts are kept out of training (`HELD_OUT_FONTS`):
a reader that reads them as well as the others has learnt the numerals, not a font.

The other clock designs (`designs`) print MARKINGS (Arabic, Roman with IV or IIII, quarter-only or no numerals,
upright or radial, in thin to heavy matplotlib fonts; minute, railway, hour, dot, baton or no ticks; 13-24 and 5-60
rings; circle lines) and EXTRAS (brand text, a date window, subdials whose hands the renderer draws, ornaments),
drawn once per process the same way; the Leiden STYLES stay first and unchanged, so 'leiden' renders as before.
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


# ---------------------------------------------------------------------------------------------------------------
# The family of other clock designs (`designs`): printed markings and the busy extras (brand text, date window,
# subdials, prints), drawn once per process like the Leiden styles above, which stay first and unchanged.

# Fonts of the other designs' numerals: those in DESIGN_FONTS_HELD_OUT are only on the 'unseen' designs (the same
# fonts the Leiden styles hold out, and STIX's bold). Regular and bold, serif, sans and mono: thin to heavy strokes.
DESIGN_FONTS = ('DejaVuSans.ttf', 'DejaVuSans-Bold.ttf', 'DejaVuSansMono.ttf', 'DejaVuSansMono-Bold.ttf',
                'DejaVuSerif.ttf', 'DejaVuSerif-Bold.ttf', 'cmr10.ttf', 'cmb10.ttf')
DESIGN_FONTS_HELD_OUT = ('cmss10.ttf', 'STIXGeneral.ttf', 'STIXGeneralBol.ttf', 'cmtt10.ttf')
_TEXT_FONTS = ('DejaVuSans.ttf', 'DejaVuSans-Bold.ttf', 'DejaVuSerif.ttf', 'DejaVuSerif-Italic.ttf')
_BOLD = ('DejaVuSans-Bold.ttf', 'DejaVuSansMono-Bold.ttf', 'DejaVuSerif-Bold.ttf', 'cmb10.ttf', 'STIXGeneralBol.ttf')
NUMERALS = ('arabic', 'roman', 'roman_iiii', 'quarters', 'none')  # roman: IV at 4; roman_iiii: the clockmakers' IIII
TICKS = ('minutes', 'railway', 'hours', 'dots', 'batons', 'none')
_ROMAN = ('XII', 'I', 'II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII', 'IX', 'X', 'XI')
MAX_SUBDIALS = 3


class Markings(NamedTuple):
  """A printed dial of another design: numerals inside a band of ticks at the edge, and optional number rings."""
  numerals: str  # one of NUMERALS
  font: str  # '' where there are no numerals
  numeral_height: float  # of a digit, in face radii
  numeral_radius: float
  stroke: int  # texels of the supersampled canvas added to (negative: taken from) each side of a stroke
  radial: bool  # numerals turned to stand on the centre, as Roman ones often are
  ticks: str  # one of TICKS
  tick_radius: float
  hour_tick: tuple[float, float]  # (length, width); for 'dots' the dot's diameter is the width
  minute_tick: tuple[float, float]
  inner_24: bool  # a small 13-24 ring inside the numerals
  outer_minutes: bool  # a small 5-60 ring outside the ticks
  circles: tuple[float, ...]  # radii of printed circle lines


class Extras(NamedTuple):
  """What busy faces add: brand text, a date window (paper with a dark digit), subdials, a printed ornament."""
  brand: str
  brand_y: float  # where the brand's centre sits on the vertical axis (negative: above the centre)
  brand_height: float
  small_text: str
  small_y: float
  date: tuple[float, float, str]  # (x, y, digits) of the window's centre; () for none
  subdials: tuple[tuple[float, float, float], ...]  # (x, y, radius) each; the renderer draws their hands
  subdial_ticks: int
  ornament: str  # '', 'rosette', 'guilloche', 'lettering'
  font: str


def _design_markings(seed: int, count: int) -> list[Markings]:
  """`count` printed dials drawn once: numerals and ticks in the shares real clocks show them."""
  rng = np.random.default_rng(seed)
  fonts = DESIGN_FONTS + DESIGN_FONTS_HELD_OUT
  kinds = [('arabic', 'minutes')] * 14 + [('arabic', 'hours')] * 2 + [('arabic', 'railway')] * 3 + \
      [('arabic', 'dots')] * 2 + [('arabic', 'batons')] * 2 + [('arabic', 'none')] * 1 + \
      [('roman', 'railway')] * 3 + [('roman', 'minutes')] * 2 + [('roman_iiii', 'railway')] * 2 + \
      [('roman_iiii', 'minutes')] * 2 + [('quarters', 'batons')] * 3 + [('quarters', 'dots')] * 2 + \
      [('quarters', 'minutes')] * 2 + [('none', 'batons')] * 4 + [('none', 'minutes')] * 3 + \
      [('none', 'dots')] * 1 + [('none', 'hours')] * 1 + [('none', 'none')] * 1
  # Fonts in turn from a shuffled list that holds the plain sans faces of most clocks most often: every font gets
  # several dials.
  font_turns = [str(font) for font in rng.permutation(
      [fonts[0]] * 4 + [fonts[1]] * 4 + list(fonts[2:6]) + [fonts[4]] + list(fonts[6:]) + [fonts[8]])]
  markings = []
  for index in range(count):
    numerals, ticks = kinds[index % len(kinds)]
    font = font_turns[index % len(font_turns)] if numerals != 'none' else ''
    tick_radius = rng.uniform(0.9, 0.97)
    outer_minutes = numerals != 'none' and ticks in ('minutes', 'railway') and rng.random() < 0.2
    if outer_minutes:
      tick_radius = rng.uniform(0.8, 0.86)
    hour_tick = {'batons': (rng.uniform(0.1, 0.24), rng.uniform(0.03, 0.07)),
                 'dots': (0.0, rng.uniform(0.04, 0.09))}.get(ticks, (rng.uniform(0.04, 0.12), rng.uniform(0.015, 0.05)))
    minute_tick = (rng.uniform(0.02, 0.06), rng.uniform(0.006, 0.02))
    roman = numerals.startswith('roman')
    height = rng.uniform(0.11, 0.2) if roman else rng.uniform(0.1, 0.3)
    if numerals == 'quarters':
      height = rng.uniform(0.16, 0.32)
    radial = roman and rng.random() < 0.75 or numerals == 'arabic' and rng.random() < 0.06
    tick_band = hour_tick[0] if ticks != 'dots' else hour_tick[1]
    tick_band = 0 if ticks == 'none' else tick_band
    # Upright numerals reach out by about 0.7 of their height (two digits at 10 o'clock); radial ones by half.
    reach = (0.55 if radial else 0.72) * height if numerals != 'none' else 0.0
    numeral_radius = tick_radius - tick_band - rng.uniform(0.0, 0.06) - reach
    if numerals != 'none' and height > 0.36 * numeral_radius:  # neighbours would touch: smaller, further out
      per_height = reach / height
      height = 0.36 * (tick_radius - tick_band) / (1 + 0.36 * per_height)
      reach = per_height * height
      numeral_radius = tick_radius - tick_band - reach
    inner_24 = numerals == 'arabic' and not radial and rng.random() < 0.15 and numeral_radius - reach > 0.45
    stroke = int(rng.integers(-2, 2)) if font in _BOLD else int(rng.integers(-1, 5))
    circles = ()
    if ticks == 'railway':
      circles = (tick_radius - 0.005, tick_radius - minute_tick[0] * 1.5)
    elif rng.random() < 0.15 and numeral_radius - reach > 0.35:
      circles = (rng.uniform(0.3, numeral_radius - reach),)
    markings.append(Markings(
        numerals=numerals, font=font, numeral_height=height, numeral_radius=numeral_radius, stroke=stroke,
        radial=radial, ticks=ticks, tick_radius=tick_radius, hour_tick=hour_tick,
        minute_tick=(minute_tick[0] * (1.5 if ticks == 'railway' else 1), minute_tick[1]),
        inner_24=inner_24, outer_minutes=outer_minutes, circles=circles))
  return markings


_BRANDS = ('QUARTZ', 'MERIDIAN', 'Kelvin', 'ORION', 'Halden', 'NOVA', 'Regent', 'LUMEN', 'Atlas', 'Westbury',
           'TEMPO', 'Corvo')
_SMALL_TEXTS = ('QUARTZ', 'AUTOMATIC', 'WATER RESISTANT', 'SWISS MADE', 'INDIGLO', '50 M', 'GERMANY')
# Subdials reach no further out than SUBDIAL_REACH from the centre, inside the numerals of the markings they go with.
_SUBDIAL_LAYOUTS = ((), ((0.0, 0.4, 0.18),), ((0.0, -0.36, 0.22), (0.0, 0.36, 0.22)),
                    ((-0.4, 0.0, 0.18), (0.4, 0.0, 0.18)), ((-0.42, 0.0, 0.16), (0.42, 0.0, 0.16), (0.0, 0.42, 0.16)),
                    ((0.0, 0.4, 0.16),))
SUBDIAL_REACH = 0.58


def _design_extras(seed: int, count: int) -> list[Extras]:
  """`count` busy-face layouts; the first is an empty one (most faces carry nothing but the markings)."""
  rng = np.random.default_rng(seed)
  extras = [Extras('', 0, 0, '', 0, (), (), 0, '', _TEXT_FONTS[0])]
  for index in range(1, count):
    subdials = _SUBDIAL_LAYOUTS[rng.choice(len(_SUBDIAL_LAYOUTS), p=(0.5, 0.12, 0.12, 0.08, 0.1, 0.08))]
    below = any(y > 0.2 and abs(x) < 0.1 for x, y, _ in subdials)
    above = any(y < -0.2 and abs(x) < 0.1 for x, y, _ in subdials)
    right = any(x > 0.2 for x, _, _ in subdials)
    brand = _BRANDS[rng.integers(len(_BRANDS))] if rng.random() < 0.8 else ''
    brand_y = -rng.uniform(0.3, 0.45) if not above else -0.08
    small = _SMALL_TEXTS[rng.integers(len(_SMALL_TEXTS))] if rng.random() < 0.5 and not below else ''
    date = ()
    if rng.random() < 0.35:
      date = (0.52, 0.0, str(rng.integers(1, 32))) if not right else (0.0, 0.3, str(rng.integers(1, 32)))
      if date[1] and (below or small):
        date = ()
    ornament = ('', '', 'rosette', 'guilloche', 'lettering')[rng.integers(5)] if not subdials else ''
    extras.append(Extras(brand, brand_y, rng.uniform(0.05, 0.09), small, rng.uniform(0.3, 0.42), date, subdials,
                         int((12, 30, 60, 10)[rng.integers(4)]), ornament, _TEXT_FONTS[rng.integers(len(_TEXT_FONTS))]))
  return extras


def clearance(markings: Markings) -> float:
  """The radius inside which `markings` print nothing but circles: where subdials fit."""
  m = markings
  if m.numerals == 'none':
    return m.tick_radius - (0.0 if m.ticks == 'none' else m.hour_tick[1] if m.ticks == 'dots' else m.hour_tick[0])
  inner = m.numeral_radius - (0.55 if m.radial else 0.72) * m.numeral_height
  return inner - 0.11 if m.inner_24 else inner


MARKINGS = tuple(_design_markings(seed=2, count=96))
EXTRAS = tuple(_design_extras(seed=3, count=36))
# (x, y, radius) of each extras layout's subdials, zero-padded to MAX_SUBDIALS: the renderer draws their hands.
SUBDIALS = np.array([list(e.subdials) + [(0.0, 0.0, 0.0)] * (MAX_SUBDIALS - len(e.subdials)) for e in EXTRAS],
                    np.float32)


def _font(name: str, digit_height: float) -> ImageFont.FreeTypeFont:
  """The font whose digits stand `digit_height` canvas pixels tall."""
  path = os.path.join(matplotlib.get_data_path(), 'fonts', 'ttf', name)
  _, top, _, bottom = ImageFont.truetype(path, 100).getbbox('0')
  return ImageFont.truetype(path, max(4, round(100 * digit_height / (bottom - top))))


def _put_text(canvas: np.ndarray, text: str, font, centre: tuple[float, float], turn_degrees: float = 0.0,
              value: int = 255, stroke: int = 0) -> None:
  """Writes `text` centred on `centre` (canvas pixels), turned clockwise by `turn_degrees`, into `canvas` by max;
  `stroke` thickens (or, negative, thins) the strokes by that many pixels each side."""
  left, top, right, bottom = font.getbbox(text)
  pad = 4 + abs(stroke)
  image = Image.new('L', (right - left + 2 * pad, bottom - top + 2 * pad), 0)
  ImageDraw.Draw(image).text((pad - left, pad - top), text, fill=value, font=font, stroke_width=max(0, stroke),
                             stroke_fill=value)
  if stroke < 0:  # a min filter on the glyphs' own small patch: far cheaper than on the whole canvas
    image = image.filter(ImageFilter.MinFilter(2 * -stroke + 1))
  if turn_degrees:
    image = image.rotate(-turn_degrees, resample=Image.Resampling.BILINEAR, expand=True)
  patch = np.asarray(image)
  row0 = round(centre[1] - patch.shape[0] / 2)
  col0 = round(centre[0] - patch.shape[1] / 2)
  rows = slice(max(0, row0), min(canvas.shape[0], row0 + patch.shape[0]))
  cols = slice(max(0, col0), min(canvas.shape[1], col0 + patch.shape[1]))
  if rows.start < rows.stop and cols.start < cols.stop:
    part = patch[rows.start - row0:rows.stop - row0, cols.start - col0:cols.stop - col0]
    canvas[rows, cols] = np.maximum(canvas[rows, cols], part)


def _shrink(ink: np.ndarray) -> np.ndarray:
  return np.asarray(Image.fromarray(ink.astype(np.float32), mode='F').resize(
      (TEXTURE_SIZE, TEXTURE_SIZE), Image.Resampling.BOX), np.float32)


def draw_markings(markings: Markings) -> np.ndarray:
  """One design's printed ink coverage in [0, 1], float32 (T, T); 12 o'clock at the top."""
  size = TEXTURE_SIZE * _SUPERSAMPLE
  scale = size / 2
  canvas = Image.new('L', (size, size), 0)
  pen = ImageDraw.Draw(canvas)

  def point(radius, angle):
    return (scale * (1 + radius * np.sin(angle)), scale * (1 - radius * np.cos(angle)))

  def dot(radius, angle, diameter):
    x, y = point(radius, angle)
    half = diameter / 2 * scale
    pen.ellipse([x - half, y - half, x + half, y + half], fill=255)

  m = markings
  if m.ticks != 'none':
    for tick in range(60):
      angle = np.radians(tick * 6)
      hour = tick % 5 == 0
      if not hour and m.ticks in ('hours', 'batons') and m.minute_tick[1] < 0.012:
        continue  # hour marks alone on the thinnest designs
      length, width = m.hour_tick if hour else m.minute_tick
      if m.ticks == 'dots':
        if hour:
          dot(m.tick_radius - width / 2, angle, width)
        continue
      if m.ticks == 'batons' and hour and tick == 0:  # a double baton at 12
        for side in (-1, 1):
          offset = side * 0.7 * width / m.tick_radius
          pen.line([point(m.tick_radius - length, angle + offset), point(m.tick_radius, angle + offset)],
                   fill=255, width=max(1, round(width * scale)))
        continue
      pen.line([point(m.tick_radius - length, angle), point(m.tick_radius, angle)], fill=255,
               width=max(1, round(width * scale)))
  for radius in m.circles:
    width = max(1, round(0.008 * scale))
    pen.ellipse([scale * (1 - radius), scale * (1 - radius), scale * (1 + radius), scale * (1 + radius)],
                outline=255, width=width)

  numerals = np.zeros((size, size), np.uint8)
  if m.numerals != 'none':
    font = _font(m.font, m.numeral_height * scale)
    for hour in range(1, 13):
      if m.numerals == 'quarters' and hour % 3:
        continue
      text = str(hour)
      if m.numerals.startswith('roman'):
        text = 'IIII' if hour == 4 and m.numerals == 'roman_iiii' else _ROMAN[hour % 12]
      _put_text(numerals, text, font, point(m.numeral_radius, np.radians(hour * 30)),
                hour * 30 if m.radial else 0, stroke=m.stroke)
  small_font = _font(m.font or 'DejaVuSans.ttf', 0.065 * scale)
  if m.inner_24:
    radius = m.numeral_radius - 0.72 * m.numeral_height - 0.07
    for hour in range(13, 25):
      _put_text(numerals, str(hour), small_font, point(radius, np.radians(hour * 30)))
  if m.outer_minutes:
    for minute in range(5, 61, 5):
      _put_text(numerals, f'{minute:02d}' if minute < 10 else str(minute), small_font,
                point(m.tick_radius + 0.075, np.radians(minute * 6)))
  return _shrink(np.maximum(np.asarray(canvas), numerals) / 255)


def draw_extras(extras: Extras) -> np.ndarray:
  """One busy-face layout, float32 (T, T) in [-1, 1]: > 0 ink, -1 paper (the date window), -0.5 a dark digit on
  paper. The renderer decodes the three from one texture, so that the extras cost one lookup."""
  size = TEXTURE_SIZE * _SUPERSAMPLE
  scale = size / 2
  ink = np.zeros((size, size), np.uint8)
  paper = Image.new('L', (size, size), 0)  # 255: paper, 128: a dark digit on paper
  pen = ImageDraw.Draw(paper)
  e = extras
  to_canvas = lambda x, y: (scale * (1 + x), scale * (1 + y))
  if e.brand:
    _put_text(ink, e.brand, _font(e.font, e.brand_height * scale), to_canvas(0, e.brand_y))
  if e.small_text:
    _put_text(ink, e.small_text, _font(e.font, 0.035 * scale), to_canvas(0, e.small_y))
  if e.date:
    x, y, digits = e.date
    half_w, half_h = 0.07 + 0.025 * len(digits), 0.075
    pen.rectangle([*to_canvas(x - half_w, y - half_h), *to_canvas(x + half_w, y + half_h)], fill=255)
    digit = np.zeros((size, size), np.uint8)
    _put_text(digit, digits, _font('DejaVuSans-Bold.ttf', 0.09 * scale), to_canvas(x, y))
    paper = np.where(digit > 127, 128, np.asarray(paper)).astype(np.uint8)
    paper = Image.fromarray(paper)
  ink_image = Image.fromarray(ink)
  pen = ImageDraw.Draw(ink_image)
  small_font = _font(e.font, 0.045 * scale)
  for x, y, radius in e.subdials:
    cx, cy = to_canvas(x, y)
    r = radius * scale
    pen.ellipse([cx - r, cy - r, cx + r, cy + r], outline=255, width=max(1, round(0.01 * scale)))
    for tick in range(e.subdial_ticks):
      angle = 2 * np.pi * tick / e.subdial_ticks
      major = tick % max(1, e.subdial_ticks // (6 if e.subdial_ticks != 10 else 10)) == 0
      inner = radius * (0.78 if major else 0.88)
      pen.line([(cx + inner * scale * np.sin(angle), cy - inner * scale * np.cos(angle)),
                (cx + r * np.sin(angle), cy - r * np.cos(angle))], fill=255,
               width=max(1, round((0.012 if major else 0.006) * scale)))
    labels = {12: (12, 3, 6, 9), 30: (30, 10, 20), 60: (60, 15, 30, 45), 10: (10, 2, 4, 6, 8)}[e.subdial_ticks]
    for value_index, value in enumerate(labels):
      angle = 2 * np.pi * value_index / len(labels)
      xy = (cx + 0.58 * r * np.sin(angle), cy - 0.58 * r * np.cos(angle))
      ink_array = np.asarray(ink_image).copy()
      _put_text(ink_array, str(value), small_font, xy)
      ink_image = Image.fromarray(ink_array)
      pen = ImageDraw.Draw(ink_image)
  if e.ornament == 'rosette':  # a lace of petals round the centre, printed light
    for petal in range(24):
      angle = 2 * np.pi * petal / 24
      for radius, length in ((0.22, 0.1), (0.34, 0.07)):
        cx, cy = to_canvas(radius * np.sin(angle), -radius * np.cos(angle))
        pen.ellipse([cx - length * scale, cy - 0.4 * length * scale, cx + length * scale,
                     cy + 0.4 * length * scale], outline=110, width=max(1, round(0.008 * scale)))
  elif e.ornament == 'guilloche':
    for ring in range(10):
      radius = 0.08 + 0.04 * ring
      points = [to_canvas((radius + 0.015 * np.sin(16 * t)) * np.sin(t), -(radius + 0.015 * np.sin(16 * t)) * np.cos(t))
                for t in np.linspace(0, 2 * np.pi, 240)]
      pen.line(points, fill=90, width=max(1, round(0.006 * scale)))
  elif e.ornament == 'lettering':
    ink_array = np.asarray(ink_image).copy()
    font = _font(e.font, 0.03 * scale)
    for index, letter in enumerate('CHRONOMETER OFFICIALLY CERTIFIED ' * 2):
      angle = 2 * np.pi * index / 66
      _put_text(ink_array, letter, font, to_canvas(0.42 * np.sin(angle), -0.42 * np.cos(angle)), np.degrees(angle))
    ink_image = Image.fromarray(ink_array)
  ink = np.asarray(ink_image, np.float32) / 255
  paper = np.asarray(paper, np.float32)
  coded = np.where(paper > 200, -1.0, np.where(paper > 100, -0.5, ink))
  return _shrink(coded)


def _resized(stack: np.ndarray, size: int) -> np.ndarray:
  if size == TEXTURE_SIZE:
    return stack
  return np.stack([np.asarray(Image.fromarray(t, mode='F').resize((size, size), Image.Resampling.BOX), np.float32)
                   for t in stack])


@functools.cache
def design_textures(size: int = TEXTURE_SIZE) -> tuple[np.ndarray, np.ndarray]:
  """(markings, extras) as int8 (N, size, size) in 127ths: the Leiden STYLES first, then MARKINGS; then EXTRAS.

  int8 keeps the constant a quarter of float32's; the coverage's 127 levels are finer than a picture's grey steps.
  """
  if size == TEXTURE_SIZE:
    markings = np.concatenate([textures(), np.stack([draw_markings(m) for m in MARKINGS])])
    extras = np.stack([draw_extras(e) for e in EXTRAS])
  else:
    markings, extras = (_resized(t.astype(np.float32) / 127, size) for t in design_textures())
  return (np.round(np.clip(markings, 0, 1) * 127).astype(np.int8),
          np.round(np.clip(extras, -1, 1) * 127).astype(np.int8))
