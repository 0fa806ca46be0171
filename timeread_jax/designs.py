"""What a clock design is (outline, face, printed markings, hands, case) and the ranges each is drawn from.

The Leiden wall clock is one design (`leiden`, from `looks`); the others cover what real clocks of every common
kind look like: round, square, rounded-square and octagonal dials; light faces with dark hands and dark faces
with light hands; plain, sunburst, ringed and marbled faces, busy ones with brand text, a date window, subdials
and printed ornaments; Arabic, Roman (IV or IIII), quarter-only, baton, dot or no numerals in thin to heavy
fonts, some with a 13-24 or a 5-60 ring (`dials.MARKINGS`, `dials.EXTRAS`); baton, tapered, leaf, skeleton and
arrow hands, some with counterweights, and a thin second hand on about half; thin metal bezels to thick rims,
watch cases with lugs, crown and strap. What a photo adds to a design (camera, surroundings, light, sensor) is
`scenes`.

The held-out check (designs 'seen' to train, 'unseen' to validate) splits the design space by feature. Each
split feature has values only 'seen' draws, values only 'unseen' draws, and values both draw (SEEN_ONLY,
UNSEEN_ONLY, SHARED below); 'all' draws every value, so 'seen' and 'unseen' together cover 'all':
  outline:  seen only rounded square and square; unseen only octagon; both circle.
  face:     seen only sunburst and rings; unseen only marble; both plain.
  hands:    seen only baton, leaf and skeleton; unseen only arrow; both tapered (the Leiden clock's).
  numerals: seen only the fonts dials.DESIGN_FONTS; unseen only dials.DESIGN_FONTS_HELD_OUT; both the
            markings without numerals.
The continuous ranges (sizes, greys), the busy extras and the scenes are shared. The Leiden clock is in both with
its own split (`looks.STYLE_SETS`: held-out fonts and carpet in 'unseen'), consistent with the one above.

Lengths are in face radii (dial coordinates: face radius 1, x to the right, y down; the face's outline is where
the outline's norm is 1). Every field is a jax scalar (the subdials' angles a (3,) vector), so that a batch of
designs is drawn under vmap and a picture's design can be changed with `_replace` (tests do).
"""
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from timeread_jax import dials
from timeread_jax import looks

DESIGN_SETS = ('leiden', 'all', 'seen', 'unseen', 'others')  # 'others': 'all' but the Leiden clock (render.draw)
LEIDEN_SHARE = 1 / 8  # of the pictures of 'all', 'seen' and 'unseen' that show the Leiden clock
OUTLINES = ('circle', 'rounded', 'square', 'octagon')
FACES = ('plain', 'sunburst', 'rings', 'marble')
HAND_SHAPES = ('baton', 'tapered', 'leaf', 'skeleton', 'arrow')
SEEN_ONLY = {'outline': ('rounded', 'square'), 'face': ('sunburst', 'rings'), 'hands': ('baton', 'leaf', 'skeleton'),
             'font': dials.DESIGN_FONTS}
UNSEEN_ONLY = {'outline': ('octagon',), 'face': ('marble',), 'hands': ('arrow',), 'font': dials.DESIGN_FONTS_HELD_OUT}
SHARED = {'outline': ('circle',), 'face': ('plain',), 'hands': ('tapered',), 'font': ('',)}
# How often each value is drawn, per design set (renormalised over the values the set allows). 'unseen' weights
# its held-out values up, so that most of its pictures show several of them.
_WEIGHTS = {
    'outline': {'all': (0.82, 0.08, 0.05, 0.05), 'unseen': (0.6, 0, 0, 0.4)},
    'face': {'all': (0.55, 0.17, 0.12, 0.16), 'unseen': (0.45, 0, 0, 0.55)},
    'hands': {'all': (0.22, 0.24, 0.2, 0.17, 0.17), 'unseen': (0, 0.4, 0, 0, 0.6)},
}
NUM_LEIDEN_MARKINGS = len(dials.STYLES)  # markings index i < this: the Leiden style i; else dials.MARKINGS[i - this]


class Design(NamedTuple):
  """One clock's design: all a picture shows of the clock itself, but for the time and the camera."""
  leiden: jax.Array  # 1.0 for the Leiden clock (`leiden`), else 0.0
  outline: jax.Array  # int32 index into OUTLINES
  corner: jax.Array  # rounding of a square outline: 1 is a circle, 0 a sharp square
  follow: jax.Array  # how far the printed markings follow a square outline (0: printed on a circle)
  face: jax.Array  # int32 index into FACES
  face_gray: jax.Array
  face_detail: jax.Array  # the face texture's amplitude, in grey levels
  face_angle: jax.Array  # the sunburst's light axis, the marble's grain
  face_period: jax.Array  # the rings' spacing, the marble's scale, in face radii
  zone_radius: jax.Array  # an inner zone (a recessed centre, a chapter ring) of another grey
  zone_shift: jax.Array
  markings: jax.Array  # int32: the Leiden styles, then dials.MARKINGS (NUM_LEIDEN_MARKINGS)
  ink_gray: jax.Array
  extras: jax.Array  # int32 index into dials.EXTRAS (0: none)
  extras_gray: jax.Array
  paper_gray: jax.Array  # of the date window
  subdial_angles: jax.Array  # (MAX_SUBDIALS,) angles of the subdials' hands
  subdial_gray: jax.Array
  hand_shape: jax.Array  # int32 index into HAND_SHAPES
  hand_gray: jax.Array
  hour_length: jax.Array  # always shorter than the minute hand
  hour_width: jax.Array  # the widest part of a hand
  minute_length: jax.Array
  minute_width: jax.Array
  tail: jax.Array  # of each hand past the hub, as a fraction of its length
  body: jax.Array  # the stem's width, as a fraction of the hand's width (leaf and arrow hands have thin stems)
  taper: jax.Array  # how much narrower the stem is at the tip than at the hub
  peak: jax.Array  # where along a leaf hand it is widest
  head_length: jax.Array  # of an arrow's head, as a fraction of the hand's length
  square_end: jax.Array  # 1: square ends; 0: round
  stroke: jax.Array  # a skeleton hand's outline width; 1 (wider than any hand) for solid hands
  lume: jax.Array  # how far a skeleton hand's inside is filled with lume_gray (else the face shows through)
  lume_gray: jax.Array
  weight: jax.Array  # radius of a counterweight disc on the tail; 0 for none
  hub_radius: jax.Array
  hub_gray: jax.Array
  second_hand: jax.Array  # 1.0 where there is one
  second_angle: jax.Array
  second_length: jax.Array
  second_width: jax.Array
  second_tail: jax.Array
  second_weight: jax.Array
  second_gray: jax.Array
  bezel_width: jax.Array  # the ring between face and rim
  bezel_gray: jax.Array
  rim_radius: jax.Array  # the case's outer edge, in the outline's norm
  rim_gray: jax.Array
  rim_highlight: jax.Array  # a ridge of light (or, negative, shade) along the middle of the rim
  rim_depth: jax.Array  # how far the case stands out from what it lies on
  rim_shadow: jax.Array  # how much the rim shades the face's edge away from the light
  watch: jax.Array  # 1.0 for a wrist watch: lugs, crown and strap
  lug_x: jax.Array
  lug_width: jax.Array
  lug_length: jax.Array
  strap_width: jax.Array
  strap_gray: jax.Array
  links: jax.Array  # a metal bracelet's links per face radius; 0 for leather
  printed: jax.Array  # 1.0: markings and hands drawn; render_no_clock sets 0 (a plain disc, not a clock)
  present: jax.Array  # 1.0: the dial and its case are there; render_no_clock sets 0 for background only


class _Draws:
  """Uniform draws handed out in order from one vector: one random call per design, cheap to compile."""

  def __init__(self, key: jax.Array, count: int):
    self._values = jax.random.uniform(key, (count,))
    self._next = 0

  def __call__(self, low=0.0, high=1.0):
    value = self._values[self._next]
    self._next += 1
    return low + (high - low) * value

  def chance(self, probability):
    return (self() < probability).astype(jnp.float32)

  def choice(self, weights) -> jax.Array:
    """An int32 index drawn with the given weights (a python sequence; zeros are never drawn)."""
    cumulative = np.cumsum(weights) / np.sum(weights)
    return jnp.sum(self() >= jnp.asarray(cumulative[:-1], jnp.float32)).astype(jnp.int32)

  def pick(self, table) -> jax.Array:
    """An entry of `table` (a python sequence of ints), uniformly."""
    table = jnp.asarray(table, jnp.int32)
    return table[jnp.minimum((self() * len(table)).astype(jnp.int32), len(table) - 1)]


def _weights(feature: str, names: tuple[str, ...], designs: str) -> tuple[float, ...]:
  weights = _WEIGHTS[feature].get(designs, _WEIGHTS[feature]['all'])
  allowed = {'all': names, 'seen': SEEN_ONLY[feature] + SHARED[feature],
             'unseen': UNSEEN_ONLY[feature] + SHARED[feature]}[designs]
  return tuple(w if name in allowed else 0.0 for name, w in zip(names, weights))


def markings_for(designs: str, around_subdials: bool = False) -> tuple[int, ...]:
  """The markings indices (NUM_LEIDEN_MARKINGS onwards) a design set may draw; `around_subdials`: only those that
  leave room for subdials (busy faces of chronographs put small numerals round them)."""
  fonts = {'all': dials.DESIGN_FONTS + dials.DESIGN_FONTS_HELD_OUT, 'seen': dials.DESIGN_FONTS,
           'unseen': dials.DESIGN_FONTS_HELD_OUT}[designs]
  room = dials.SUBDIAL_REACH if around_subdials else -np.inf
  return tuple(NUM_LEIDEN_MARKINGS + i for i, m in enumerate(dials.MARKINGS)
               if (m.font in fonts or not m.font) and dials.clearance(m) >= room)


def draw(key: jax.Array, designs: str = 'all', upright: bool = False, *, hand_shape: str | None = None,
         dark: bool | None = None) -> Design:
  """A design other than the Leiden clock, from the set `designs` ('all', 'seen' or 'unseen').

  `upright` keeps the design but takes its second hand and the rim's shade off (render.py's upright view: a
  measurable picture).
  `hand_shape` (one of HAND_SHAPES) and `dark` (a dark face with light hands), where given, fix those features and
  leave the rest as `key` draws them: for tests that need every hand shape on both kinds of face.
  """
  u = _Draws(key, 96)
  drawn_dark = u.chance(0.28)  # dark faces with light hands and markings
  dark = drawn_dark if dark is None else jnp.float32(dark)
  light = 1 - dark
  face_gray = light * u(0.78, 1.0) + dark * u(0.03, 0.32)
  ink_gray = light * u(0.0, 0.35) + dark * u(0.72, 1.0)
  hand_gray = light * u(0.0, 0.3) + dark * u(0.72, 1.0)
  second_gray = light * u(0.1, 0.6) + dark * u(0.5, 1.0)

  outline = u.choice(_weights('outline', OUTLINES, designs))
  corner = jnp.select([outline == 0, outline == 1], [1.0, u(0.25, 0.75)], u(0.0, 0.12))
  face = u.choice(_weights('face', FACES, designs))
  face_detail = jnp.where(face == 0, 0.0, u(0.02, 0.1))
  has_zone = u.chance(0.2)

  shape = u.choice(_weights('hands', HAND_SHAPES, designs))
  if hand_shape is not None:
    shape = jnp.int32(HAND_SHAPES.index(hand_shape))
  is_leaf = (shape == 2) | (shape == 3) & (u() < 0.7)  # skeleton hands are outlined leaves or batons
  is_arrow = shape == 4
  minute_length = u(0.7, 0.97)
  minute_width = u(0.02, 0.06) * jnp.where(is_leaf, 1.6, 1.0)
  skeleton = shape == 3
  weight_chance = u.chance(0.25)
  tail = u(0.0, 0.3) * (1 + weight_chance)

  extras = jnp.where(u() < 0.5, 0, u.pick(range(1, len(dials.EXTRAS))))
  watch = u.chance(0.18)
  rim_kind = u()  # thin metal bezels to thick rims
  rim_radius = jnp.where(rim_kind < 0.3, u(1.02, 1.08), jnp.where(rim_kind < 0.7, u(1.08, 1.18), u(1.18, 1.35)))
  return Design(
      leiden=jnp.float32(0),
      outline=outline,
      corner=corner,
      follow=jnp.where(u() < 0.6, 1.0, u(0.0, 0.6)),
      face=face,
      face_gray=face_gray,
      face_detail=face_detail,
      face_angle=u(0, np.pi),
      face_period=u(0.02, 0.08),
      zone_radius=has_zone * u(0.3, 0.7),
      zone_shift=has_zone * u(-0.1, 0.1),
      markings=jnp.where(jnp.asarray(dials.SUBDIALS)[extras, 0, 2] > 0, u.pick(markings_for(designs, True)),
                         u.pick(markings_for(designs))),
      ink_gray=ink_gray,
      extras=extras,
      extras_gray=ink_gray + (face_gray - ink_gray) * u(0.0, 0.4),
      paper_gray=u(0.8, 1.0),
      subdial_angles=jnp.stack([u(0, 2 * np.pi) for _ in range(dials.MAX_SUBDIALS)]),
      subdial_gray=jnp.where(u() < 0.5, hand_gray, second_gray),
      hand_shape=shape,
      hand_gray=hand_gray,
      hour_length=minute_length * u(0.55, 0.78),
      hour_width=minute_width * u(1.0, 1.8),
      minute_length=minute_length,
      minute_width=minute_width,
      tail=tail,
      body=jnp.where(is_leaf, u(0.2, 0.45), jnp.where(is_arrow, u(0.25, 0.5), 1.0)),
      taper=jnp.select([shape == 0, shape == 1, is_leaf], [u(0.0, 0.15), u(0.35, 1.0), 1.0], u(0.0, 0.3)),
      peak=u(0.25, 0.6) * is_leaf,  # 0: no leaf
      head_length=u(0.1, 0.22) * is_arrow,  # 0: no arrow head
      square_end=(shape == 0) * u.chance(0.6),
      stroke=jnp.where(skeleton, u(0.007, 0.014), 1.0),
      lume=skeleton * jnp.maximum(dark, u.chance(0.3)),
      lume_gray=jnp.where(dark, u(0.75, 1.0), u(0.6, 0.95)),
      weight=weight_chance * u(0.025, 0.05),
      hub_radius=u(0.025, 0.07),
      hub_gray=jnp.where(u() < 0.7, hand_gray, second_gray),
      second_hand=u.chance(0.5) * (0.0 if upright else 1.0),
      second_angle=u(0, 2 * np.pi),
      second_length=u(0.8, 0.98),
      second_width=u(0.008, 0.02),
      second_tail=u(0.12, 0.35),
      second_weight=u.chance(0.35) * u(0.02, 0.04),
      second_gray=second_gray,
      bezel_width=u(0.0, 0.06) * u.chance(0.6),
      bezel_gray=u(0.45, 1.0),
      rim_radius=rim_radius,
      rim_gray=jnp.where(u() < 0.45, u(0.02, 0.25), u(0.25, 0.95)),
      rim_highlight=u(-0.3, 0.5),
      rim_depth=u(0.03, 0.2),
      rim_shadow=u(0, 0.3) * (0.0 if upright else 1.0),  # a lighting effect: upright views are evenly lit
      watch=watch,
      lug_x=u(0.45, 0.65) * rim_radius,
      lug_width=u(0.1, 0.2),
      lug_length=u(0.2, 0.4),
      strap_width=u(0.55, 0.8) * rim_radius,
      strap_gray=jnp.where(u() < 0.6, u(0.02, 0.35), u(0.35, 0.9)),
      links=jnp.where(u() < 0.35, u(4.0, 8.0), 0.0),
      printed=jnp.float32(1),
      present=jnp.float32(1),
  )


def leiden(look: looks.Look) -> Design:
  """The Leiden clock of `look` as a Design: its dial style, greys, hands and rim, nothing else on the face."""
  zero = jnp.float32(0)
  return Design(
      leiden=jnp.float32(1), outline=jnp.int32(0), corner=jnp.float32(1), follow=zero, face=jnp.int32(0),
      face_gray=look.face_gray, face_detail=zero, face_angle=zero, face_period=jnp.float32(0.05),
      zone_radius=zero, zone_shift=zero, markings=look.style.astype(jnp.int32), ink_gray=look.ink_gray,
      extras=jnp.int32(0), extras_gray=look.ink_gray, paper_gray=look.face_gray,
      subdial_angles=jnp.zeros(dials.MAX_SUBDIALS), subdial_gray=look.hand_gray, hand_shape=jnp.int32(1),
      hand_gray=look.hand_gray, hour_length=look.hour_length, hour_width=look.hour_width,
      minute_length=look.minute_length, minute_width=look.minute_width, tail=look.tail, body=jnp.float32(1),
      taper=look.taper, peak=zero, head_length=zero, square_end=zero, stroke=jnp.float32(1), lume=zero,
      lume_gray=look.hand_gray, weight=zero, hub_radius=look.hub_radius, hub_gray=look.hand_gray,
      second_hand=zero, second_angle=zero, second_length=jnp.float32(0.9), second_width=jnp.float32(0.01),
      second_tail=jnp.float32(0.2), second_weight=zero, second_gray=look.hand_gray,
      bezel_width=look.bezel_width, bezel_gray=look.bezel_gray, rim_radius=look.rim_radius, rim_gray=look.rim_gray,
      rim_highlight=zero, rim_depth=look.rim_depth, rim_shadow=look.rim_shadow, watch=zero,
      lug_x=jnp.float32(0.5), lug_width=jnp.float32(0.1), lug_length=jnp.float32(0.3), strap_width=jnp.float32(0.6),
      strap_gray=jnp.float32(0.2), links=zero, printed=jnp.float32(1), present=jnp.float32(1))
