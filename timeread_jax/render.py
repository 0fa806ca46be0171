"""Synthetic photos of analog clocks, rendered in jax.numpy: the Leiden tell-the-time wall clock, and a family of
other clock designs (`designs`) photographed in the wild (`scenes`).

Each picture maps every pixel through a random camera homography back to the dial, samples the dial's printed
markings (`dials`), draws the hands and their shadows analytically in dial coordinates (so they tilt with the dial),
and composites over the surroundings, followed by lighting, glare, blur, gamma, noise and a contrast stretch. The
hands are drawn from the label, so every picture's label is true by construction. Static shapes throughout, so the
same code fills the on-disk cache on CPU and makes fresh batches inside a jitted train step on an accelerator; a
picture's design and scene are scalars, so the other designs cost per pixel what their union costs (selects, not
branches, under vmap), and the renderer stays a few times the Leiden clock's cost.

`designs` picks the clocks: 'leiden' renders exactly what generator 5 rendered (`render_look`, the Leiden clock's
own code path, untouched); 'all' every design, the Leiden clock among them (LEIDEN_SHARE of the pictures, drawn by
the general path, `render_design`); 'seen' and 'unseen' split the design space for a held-out check (`designs`);
'others' is every design but the Leiden clock, what a Leiden reader learns to tell from its own (--other_clocks).

A picture's pixels do not depend on how its batch is split over devices, so that each device can render its own
share and N devices draw the clocks one draws (tests/test_steps.py, tests/test_designs.py): a picture's own scalars
enter the per-pixel arithmetic as factors, never divisors (XLA turns such a division into a product with the
reciprocal in some shards' programs only), and blurs and block means are sums in a fixed order, not matrix products.

Dial coordinates: face radius 1, x to the right, y down, 12 o'clock at -y; hand angles run clockwise from 12.
"""
import functools

import jax
import jax.numpy as jnp
import numpy as np

from timeread_jax import designs as designs_lib
from timeread_jax import dials
from timeread_jax import looks
from timeread_jax import scenes

IMAGE_SIZE = 150
GENERATOR_VERSION = 6  # 6: the family of designs; 'leiden' still renders generator 5's pixels
BLUR_RADIUS = 4  # pixels: the blur's taps reach this far each way
DESIGN_SETS = designs_lib.DESIGN_SETS
JPEG_BLOCK = 8  # pixels of a 150 px picture


def random_labels(key: jax.Array, num: int) -> jax.Array:
  """(hour 0-11, minute 0-59) int32 (num, 2), uniform over the 720 positions of the hands."""
  minutes = jax.random.randint(key, (num,), 0, 720)
  return jnp.stack([minutes // 60, minutes % 60], axis=-1).astype(jnp.int32)


@functools.partial(jax.jit, static_argnames=('image_size', 'upright', 'styles', 'designs'))
def render_clocks(key: jax.Array, labels: jax.Array, image_size: int = IMAGE_SIZE, *, upright: bool = False,
                  styles: str = 'all', turn: jax.Array | None = None, designs: str = 'leiden') -> jax.Array:
  """Clock photos uint8 (N, S, S) showing `labels` (N, 2); all else (design, pose, light, floor...) is drawn from
  `key`.

  `upright=True` gives a canonical view that tests and figures can measure: dial facing the camera, 12 up,
  centred, face radius 0.4 * image_size, even light, no glare, shadows, noise or second hand; the Leiden clock in
  its canonical dial style, the other designs as drawn. `turn` narrows the in-plane turn (`looks.draw`). `styles`
  splits the Leiden clock's dial styles and floors (`looks.STYLE_SETS`; with designs 'seen' and 'unseen' the
  Leiden clock follows the designs' split instead); `designs` is one of DESIGN_SETS.
  """
  keys = jax.random.split(key, len(labels))
  return jax.vmap(lambda k, label: render_one(k, label, image_size, upright, styles, turn, designs))(keys, labels)


def render_one(key: jax.Array, label: jax.Array, image_size: int, upright: bool = False,
               styles: str = 'all', turn: jax.Array | None = None, designs: str = 'leiden') -> jax.Array:
  """One picture uint8 (S, S) of a clock showing `label` (hour, minute); see render_clocks."""
  if designs == 'leiden':
    return render_look(looks.draw(key, upright, styles, turn), label, image_size)
  return render_design(*_once_per_picture(draw(key, designs, upright, styles, turn)), label, image_size)


def _once_per_picture(tree):
  """`tree` as it is, but computed once per picture: its leaves packed by dtype into vectors behind an
  optimization barrier. Left to itself, XLA fuses the arithmetic that draws a design's scalars into the per-pixel
  loop and repeats it in every pixel (a barrier on the tree's leaves one by one does not stop it); that made the
  renders half as slow again."""
  leaves, treedef = jax.tree.flatten(tree)
  dtypes = sorted({leaf.dtype for leaf in leaves}, key=str)
  packed = jax.lax.optimization_barrier(
      [jnp.concatenate([jnp.ravel(leaf) for leaf in leaves if leaf.dtype == dtype]) for dtype in dtypes])
  starts = dict.fromkeys(dtypes, 0)
  unpacked = []
  for leaf in leaves:
    start = starts[leaf.dtype]
    unpacked.append(packed[dtypes.index(leaf.dtype)][start:start + leaf.size].reshape(leaf.shape))
    starts[leaf.dtype] = start + leaf.size
  return jax.tree.unflatten(treedef, unpacked)


def draw(key: jax.Array, designs: str = 'all', upright: bool = False, styles: str = 'all',
         turn: jax.Array | None = None) -> tuple[designs_lib.Design, scenes.Scene]:
  """A clock's design and its photo's scene for the general path: the Leiden clock (LEIDEN_SHARE of them) or
  another design, from the set `designs` ('all', 'seen' or 'unseen'); 'others' is 'all' but never the Leiden
  clock."""
  if designs not in DESIGN_SETS or designs == 'leiden':
    raise ValueError(f'designs must be one of {DESIGN_SETS[1:]} here, not {designs!r}')
  leiden_key, design_key, scene_key, pick_key = jax.random.split(key, 4)
  pool = 'all' if designs == 'others' else designs
  design = designs_lib.draw(design_key, pool, upright)
  scene = scenes.draw(scene_key, design, upright, turn)
  if designs == 'others':
    return design, scene
  look = looks.draw(leiden_key, upright, styles if designs == 'all' else designs, turn)
  is_leiden = jax.random.uniform(pick_key) < designs_lib.LEIDEN_SHARE
  pick = lambda leiden, other: jnp.where(is_leiden, leiden, other)
  return (jax.tree.map(pick, designs_lib.leiden(look), design), jax.tree.map(pick, scenes.leiden(look), scene))


@functools.partial(jax.jit, static_argnames=('num', 'image_size', 'designs'))
def render_no_clock(key: jax.Array, num: int, image_size: int, designs: str = 'all') -> jax.Array:
  """Pictures uint8 (num, S, S) with no clock in them, for a reader that must say so: the scenes of `designs`
  with, in half of them, a clock-like object that is not a clock (a plain disc, plate or ring, its face textured
  but with no hands or markings), in some a textured face filling the picture, in some heavy noise; the same
  light, blur, noise and stretch as the clocks."""
  keys = jax.random.split(key, num)
  return jax.vmap(lambda k: _no_clock(k, image_size, designs))(keys)


def _no_clock(key: jax.Array, image_size: int, designs: str) -> jax.Array:
  photo_key, key = jax.random.split(key)
  if designs == 'leiden':
    look = looks.draw(photo_key, False, 'all')
    design, scene = designs_lib.leiden(look), scenes.leiden(look)
  else:
    design, scene = draw(photo_key, designs)
  u = jax.random.uniform(key, (4,))
  fills = u[1] < 0.15
  design = design._replace(printed=jnp.float32(0), present=((u[0] < 0.5) | fills).astype(jnp.float32))
  scene = scene._replace(face_radius=scene.face_radius * jnp.where(fills, 4.0, 1.0),
                         noise=scene.noise + (u[2] < 0.2) * u[3] * 0.1)
  return render_design(*_once_per_picture((design, scene)), jnp.zeros(2, jnp.int32), image_size)


def render_look(look: looks.Look, label: jax.Array, image_size: int) -> jax.Array:
  """The picture uint8 (S, S) of the Leiden clock showing `label` (hour, minute) with every nuisance as `look`
  says: generator 5's code path, kept as it was so that designs='leiden' renders the same pixels."""
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
  ink = _blur(_sample(dials.textures(max(32, round(dials.TEXTURE_SIZE * min(1, scale)))), look.style, x, y),
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


def render_design(design: designs_lib.Design, scene: scenes.Scene, label: jax.Array, image_size: int) -> jax.Array:
  """The picture uint8 (S, S) of `design` showing `label` (hour, minute), photographed as `scene` says."""
  rows, cols = jnp.mgrid[0:image_size, 0:image_size].astype(jnp.float32) + 0.5
  camera = _camera(scene, image_size)
  to_dial = jnp.linalg.inv(camera[:, (0, 1, 3)])  # the dial plane z = 0 maps to pixels by a homography
  x, y = _apply(to_dial, cols, rows)
  radius = jnp.hypot(x, y)
  norm = _outline(design, x, y)  # 1 on the face's edge, whatever its shape
  edge = 1 / (scene.face_radius * image_size)  # about a pixel in face radii: the width of anti-aliased edges
  scale = image_size / IMAGE_SIZE
  printed, present = design.printed, design.present

  hour, minute = label[0].astype(jnp.float32), label[1].astype(jnp.float32)
  hour_angle, minute_angle = jnp.radians((hour + minute / 60) * 30), jnp.radians(minute * 6)
  pixels = jnp.arange(image_size * image_size, dtype=jnp.uint32).reshape(image_size, image_size)
  pixel_noise = lambda seed: min(1.0, scale) * (_hash(pixels + seed) - 0.5)  # as render_look's
  fibres = pixel_noise(scene.fibre_seed)

  # The printed face: markings sampled along the outline as far as `follow` says, extras on the circle.
  markings, extras = dials.design_textures(max(32, round(dials.TEXTURE_SIZE * min(1, scale))))
  along_outline = 1 + design.follow * (norm / jnp.maximum(radius, 1e-3) - 1)
  ink, extra = _soften(jnp.stack([_sample(markings, design.markings, x * along_outline, y * along_outline, 1 / 127),
                                  _sample(extras, design.extras, x, y, 1 / 127)]))
  paper = jnp.clip(-2 * extra, 0, 1)  # the texture's code (dials.draw_extras): -1 paper, -0.5 a digit on it
  digit = jnp.clip(2 * extra + 2, 0, 1) * paper
  face = design.face_gray + design.face_detail * _face_texture(design, x, y, radius, edge, fibres)
  face = face + design.zone_shift * _inside(radius, design.zone_radius, edge)
  face = face + (design.paper_gray - face) * (paper * printed)
  face = face + (0.08 - face) * (digit * printed)
  face = face + (design.ink_gray - face) * (ink * printed)
  face = face + (design.extras_gray - face) * (jnp.maximum(extra, 0) * printed)
  light_x, light_y = jnp.cos(scene.light_angle), jnp.sin(scene.light_angle)
  facing_light = (x * light_x + y * light_y) / jnp.maximum(radius, 1e-3)  # the rim's lit side is brighter
  face = face * (1 - design.rim_shadow * jnp.clip((norm - 0.8) * 5, 0, 1) * (0.5 - 0.5 * facing_light))

  subdials = jnp.asarray(dials.SUBDIALS)[design.extras]
  for (centre_x, centre_y, size), angle in zip(subdials, design.subdial_angles):
    hand = _hand(x - centre_x, y - centre_y, angle, 0.8 * jnp.maximum(size, 0.05), 0.022, 0.25, 0.4, edge)
    hand = jnp.maximum(hand, _inside(jnp.hypot(x - centre_x, y - centre_y), 0.025, edge))
    face = face + (design.subdial_gray - face) * (hand * (size > 0) * printed)

  shape = dict(tail=design.tail, body=design.body, taper=design.taper, peak=design.peak,
               head_length=design.head_length, square=design.square_end, weight=design.weight, stroke=design.stroke,
               edge=edge)
  hands = ((hour_angle, design.hour_length, design.hour_width), (minute_angle, design.minute_length,
                                                                 design.minute_width))

  def shadow_of_hands(x, y):
    covers = [_shaped_hand(x, y, angle, length, width, **shape)[0] for angle, length, width in hands]
    return jnp.maximum(jnp.maximum(*covers), _inside(jnp.hypot(x, y), design.hub_radius, edge))

  face = face * (1 - scene.hand_shadow * printed * shadow_of_hands(x - scene.hand_shadow_x, y - scene.hand_shadow_y))
  under = face
  lume = under + (design.lume_gray - under) * design.lume  # what a skeleton hand's inside shows
  for angle, length, width in hands:  # the hour hand first, the minute hand over it
    cover, hollow = _shaped_hand(x, y, angle, length, width, **shape)
    face = face + (design.hand_gray - face) * (cover * printed)
    face = face + (lume - face) * (hollow * printed)
  second = design.second_hand * printed
  cover, _ = _shaped_hand(x, y, design.second_angle, design.second_length, design.second_width,
                          tail=design.second_tail, body=1.0, taper=0.0, peak=0.0, head_length=0.0, square=0.0,
                          weight=design.second_weight, stroke=1.0, edge=edge)
  face = face + (design.second_gray - face) * (cover * second)
  face = face + (design.hub_gray - face) * (_inside(radius, design.hub_radius, edge) * printed)
  face = face + (design.second_gray - face) * (_inside(radius, 0.45 * design.hub_radius, edge) * second)

  # The case: bezel, rim and, seen at a slant, the rim's side wall (the outline shifted towards its back edge);
  # a wrist watch's lugs, crown and strap.
  bezel_edge = 1 + design.bezel_width
  across_rim = jnp.clip((norm - bezel_edge) * (1 / jnp.maximum(design.rim_radius - bezel_edge, 0.01)), 0, 1)
  bezel = design.bezel_gray * (1 + 0.15 * facing_light)
  rim = design.rim_gray * (1 + 0.35 * facing_light) * (1 + design.rim_highlight * (1 - jnp.abs(2 * across_rim - 1)))
  back_col, back_row, back_w = camera @ jnp.array([0, 0, design.rim_depth, 1])
  back_x, back_y = _apply(to_dial, back_col / back_w, back_row / back_w)
  side = jnp.maximum(_inside(_outline(design, x - 0.5 * back_x, y - 0.5 * back_y), design.rim_radius, edge),
                     _inside(_outline(design, x - back_x, y - back_y), design.rim_radius, edge))
  to_shadow = _outline(design, x - scene.shadow_x - 0.5 * back_x, y - scene.shadow_y - 0.5 * back_y)
  across_x, across_y = jnp.abs(x), jnp.abs(y)
  strap = _inside(jnp.maximum(across_x - design.strap_width, across_y - 3), 0, edge)
  links = _triangle(y * design.links) * (design.links > 0)
  strap_gray = design.strap_gray * (1 + 0.2 * links) * (1 - 0.3 * jnp.clip(across_y - design.rim_radius, 0, 1))
  lug_middle = 0.75 * design.rim_radius + 0.5 * design.lug_length
  lugs = jnp.maximum(jnp.abs(across_x - design.lug_x) - 0.5 * design.lug_width,
                     jnp.abs(across_y - lug_middle) - (0.25 * design.rim_radius + 0.5 * design.lug_length))
  crown = jnp.maximum(jnp.abs(x - design.rim_radius - 0.04) - 0.07, across_y - 0.08)
  case_parts = jnp.maximum(_inside(lugs, 0, edge), _inside(crown, 0, edge))

  picture = _background(scene, (cols - image_size / 2) * (1 / scale), (rows - image_size / 2) * (1 / scale),
                        fibres, scale)
  picture = picture * (1 - scene.shadow_gray * present *
                       _inside(to_shadow, design.rim_radius, scene.shadow_soft + 8 * edge))
  picture = picture + (strap_gray - picture) * (strap * design.watch * present)
  picture = picture + (0.9 * rim - picture) * (case_parts * design.watch * present)
  picture = picture + (0.7 * design.rim_gray - picture) * (side * present)
  picture = picture + (rim - picture) * (_inside(norm, design.rim_radius, edge) * present)
  picture = picture + (bezel - picture) * (_inside(norm, bezel_edge, edge) * present)
  picture = picture + (face - picture) * (_inside(norm, 1, edge) * present)

  glass = _inside(norm, bezel_edge, edge) * present  # reflections on the glass
  to_glare = (x - scene.glare_x) ** 2 + (y - scene.glare_y) ** 2
  haze = scene.haze * (0.6 + 0.4 * jnp.exp(to_glare * (-0.5 / scene.haze_radius ** 2))) * glass
  picture = picture + (scene.haze_gray - picture) * haze
  picture = picture + scene.glare * jnp.exp(to_glare * (-0.5 / scene.glare_radius ** 2)) * glass
  to_sheen = x * jnp.cos(scene.sheen_angle) + y * jnp.sin(scene.sheen_angle) - scene.sheen_offset
  picture = picture + scene.sheen * jnp.exp(to_sheen ** 2 * (-0.5 / scene.sheen_width ** 2)) * glass

  across = (cols * light_x + rows * light_y) * (1 / image_size) - 0.5 * (light_x + light_y)
  corner = ((cols - image_size / 2) ** 2 + (rows - image_size / 2) ** 2) * (2 / image_size ** 2)
  picture = jnp.clip(picture * (1 + scene.light_gradient * across) * (1 - scene.vignette * corner), 0, 1)
  shrink_blur = max(0.0, 1 - scale ** 2) / 12  # as render_look's
  picture = _blur(picture ** scene.gamma, jnp.sqrt((scene.blur * scale) ** 2 + shrink_blur))
  picture = _blocky(picture, scene.jpeg, max(2, round(JPEG_BLOCK * scale)))
  picture = picture + scene.noise * np.sqrt(12) * pixel_noise(scene.sensor_seed)
  low, high = picture.min(), picture.max()
  stretched = (picture - low) * (1 / jnp.maximum(high - low, 1e-3))
  levelled = scene.black + (scene.white - scene.black) * picture
  picture = jnp.where(scene.stretch > 0.5, stretched, levelled)
  return jnp.round(255 * jnp.clip(picture, 0, 1)).astype(jnp.uint8)


def _outline(design: designs_lib.Design, x: jax.Array, y: jax.Array) -> jax.Array:
  """The face's norm: 1 on its outline, growing outwards like a distance (so rims are offsets of the face).

  A rounded square of half-width 1 and corner radius `corner` (1: a circle, where the norm is the radius),
  clipped by a diamond for octagons.
  """
  across_x, across_y = jnp.abs(x), jnp.abs(y)
  inset = 1 - design.corner
  beyond_x, beyond_y = across_x - inset, across_y - inset
  rounded = inset + jnp.hypot(jnp.maximum(beyond_x, 0), jnp.maximum(beyond_y, 0)) + jnp.minimum(
      jnp.maximum(beyond_x, beyond_y), 0)
  octagon = (design.outline == designs_lib.OUTLINES.index('octagon')) * np.float32(1 / np.sqrt(2))
  return jnp.maximum(rounded, (across_x + across_y) * octagon)


def _face_texture(design: designs_lib.Design, x, y, radius, edge, fibres) -> jax.Array:
  """The face's texture in [-1, 1]: a sunburst's bow tie of light, turned rings, or veined marble."""
  face = design.face
  double_x, double_y = jnp.cos(2 * design.face_angle), jnp.sin(2 * design.face_angle)
  sunburst = ((x * x - y * y) * double_x + 2 * x * y * double_y) / jnp.maximum(radius * radius, 1e-4)
  per_period = 1 / design.face_period
  fade = jnp.clip(design.face_period * (0.5 / edge) - 1, 0, 1)  # rings finer than 2 pixels fade, not alias
  rings = _triangle(radius * per_period) * fade
  cos, sin = jnp.cos(design.face_angle), jnp.sin(design.face_angle)
  along, across = (x * cos + y * sin) * (0.2 * per_period), (y * cos - x * sin) * (0.2 * per_period)
  marble = _triangle(along + 0.6 * _triangle(0.7 * across + 0.4 * _triangle(1.9 * along + 0.6 * across)))
  return ((face == 1) * sunburst + (face == 2) * rings + (face == 3) * (0.8 * marble + 0.8 * fibres))


def _shaped_hand(x, y, angle, length, width, tail, body, taper, peak, head_length, square, weight, stroke,
                 edge) -> tuple[jax.Array, jax.Array]:
  """Coverage of a hand at `angle` (clockwise from 12), and of its hollow inside (skeleton hands).

  Its half-width along it is the widest of a stem (`body` of `width`, narrowing by `taper` to the tip), a leaf
  (widest at `peak` of the length, pointed at both ends) and an arrow head (its last `head_length`); the ends are
  round or, with `square`, square; a disc of radius `weight` sits on the tail. A hollow `stroke` inside the edge.
  """
  direction_x, direction_y = jnp.sin(angle), -jnp.cos(angle)
  along = x * direction_x + y * direction_y
  across = jnp.abs(x * direction_y - y * direction_x)
  back = tail * length
  nearest = jnp.clip(along, -back, length)
  t = nearest * (1 / length)
  stem = body * (1 - taper * jnp.maximum(t, 0))
  leaf = jnp.clip(jnp.minimum(t * (1 / jnp.maximum(peak, 1e-3)), (1 - t) * (1 / jnp.maximum(1 - peak, 1e-3))), 0, 1)
  leaf = leaf * (2 - leaf) * (peak > 0)
  head = jnp.clip((1 - t) * (1 / jnp.maximum(head_length, 1e-3)), 0, 1)
  head = head * jnp.clip((1 - head) * 6, 0, 1) * (head_length > 0)
  half_width = 0.5 * width * jnp.maximum(stem, jnp.maximum(leaf, head))
  rounded = jnp.hypot(along - nearest, across) - half_width
  squared = jnp.maximum(jnp.maximum(along - length, -back - along), across - half_width)
  distance = rounded + square * (squared - rounded)
  distance = jnp.minimum(distance, jnp.hypot(along + 0.75 * back, across) - weight + (weight <= 0) * 10)
  per_edge = 1 / edge
  return jnp.clip(0.5 - distance * per_edge, 0, 1), jnp.clip(0.5 - (distance + stroke) * per_edge, 0, 1)


def _background(scene: scenes.Scene, x: jax.Array, y: jax.Array, fibres: jax.Array, scale: float) -> jax.Array:
  """What lies behind the clock; (x, y) are 150-px pixels from the picture's centre: a wall with its soft shading,
  a catalogue's white (or transparency checkerboard), a shelf's band, shapes of clutter, or the Leiden floor."""
  pixel = 1 / scale  # anti-aliased edges one picture pixel wide
  cos, sin = jnp.cos(scene.back_angle), jnp.sin(scene.back_angle)
  wall = scene.back_gray * (1 + scene.back_gradient * (x * cos + y * sin) * (1 / 150))
  per_blotch = 1 / scene.blotch_period
  wall = wall + scene.blotch * _triangle(x * per_blotch + 0.5 * _triangle(0.7 * y * per_blotch)) * _triangle(
      0.8 * y * per_blotch + 0.25)
  per_cell = 1 / scene.checker_period
  cells = jnp.floor(x * per_cell) + jnp.floor(y * per_cell)
  wall = wall + scene.checker * (cells - 2 * jnp.floor(cells * 0.5) - 0.5)
  down = y * jnp.cos(scene.shelf_angle) - x * jnp.sin(scene.shelf_angle)
  wall = wall + (scene.shelf_gray - wall) * (scene.shelf * _inside(jnp.abs(down - scene.shelf_y), scene.shelf_height,
                                                                  pixel))
  wall = wall * (1 - 0.5 * scene.shelf * _inside(jnp.abs(down - scene.shelf_y + scene.shelf_height), 1.0, pixel))
  for k in range(scenes.CLUTTER):
    cos, sin = jnp.cos(scene.clutter_angle[k]), jnp.sin(scene.clutter_angle[k])
    dx, dy = x - scene.clutter_x[k], y - scene.clutter_y[k]
    width, height = scene.clutter_width[k], scene.clutter_height[k]
    corner = scene.clutter_round[k] * jnp.minimum(width, height)
    beyond_x = jnp.abs(dx * cos + dy * sin) - width + corner
    beyond_y = jnp.abs(dy * cos - dx * sin) - height + corner
    to_shape = jnp.hypot(jnp.maximum(beyond_x, 0), jnp.maximum(beyond_y, 0)) + jnp.minimum(
        jnp.maximum(beyond_x, beyond_y), 0) - corner
    wall = wall + (scene.clutter_gray[k] - wall) * (scene.clutter_on[k] * _inside(to_shape, 0, pixel))
  wall = wall + 2 * scene.grain * fibres
  return wall + (_floor(scene, x, y, fibres, scale) - wall) * scene.floor_weight


def _blocky(picture: jax.Array, amount: jax.Array, block: int) -> jax.Array:
  """JPEG's blockiness, cheaply: each block x block tile pulled `amount` of the way to its mean (sums in a fixed
  order, so that the pixels do not depend on the batch's split)."""
  size = picture.shape[0]
  count = -(-size // block)
  tiles = jnp.pad(picture, ((0, count * block - size),) * 2, mode='edge').reshape(count, block, count, block)
  rows = tiles[:, 0]
  for i in range(1, block):
    rows = rows + tiles[:, i]
  sums = rows[..., 0]
  for j in range(1, block):
    sums = sums + rows[..., j]
  sums = _computed_once(sums)
  means = jnp.broadcast_to((sums * (1 / block ** 2))[:, None, :, None], tiles.shape).reshape(
      count * block, count * block)[:size, :size]
  return picture + amount * (means - picture)


def _soften(layers: jax.Array, weight: float = 0.05) -> jax.Array:
  """A slight 3-tap blur of (L, S, S) layers, as sums of shifted copies in a fixed order.

  It is there for speed as much as for looks: behind the optimization barrier, the shifted copies make XLA compute
  the texture lookups in a loop of their own. Fused into the main per-pixel loop, their gathers made that whole
  loop several times slower on CPU (docs/notes/synthetic_clocks.md).
  """
  size = layers.shape[-1]
  padded = jnp.pad(jax.lax.optimization_barrier(layers), ((0, 0), (1, 1), (1, 1)))
  rows = weight * padded[:, :size] + (1 - 2 * weight) * padded[:, 1:size + 1] + weight * padded[:, 2:]
  return weight * rows[:, :, :size] + (1 - 2 * weight) * rows[:, :, 1:size + 1] + weight * rows[:, :, 2:]


def _computed_once(array: jax.Array) -> jax.Array:
  """`array` as it is, but computed once: else XLA fuses the sums that make it into every pixel that reads it.

  A barrier on the array alone does not stop that in this XLA; on a concatenation it does.
  """
  return jax.lax.optimization_barrier(jnp.concatenate([array, array[:1]]))[:len(array)]


def _sample(textures: np.ndarray, index: jax.Array, x: jax.Array, y: jax.Array, unit: float = 1.0) -> jax.Array:
  """Bilinear lookup in texture `index` of a stack of dial textures, each stored level worth `unit` (1 for the
  Leiden styles' float coverage, 1/127 for the designs' int8); the border is blank, and so is everything beyond it.

  Four gathers of scalars from the flat stack: on CPU, XLA gathers scalars far faster than rows of four.
  """
  size = textures.shape[-1]
  flat = jnp.asarray(textures).reshape(-1)
  col = jnp.clip((x + 1) * (size / 2) - 0.5, 0, size - 1.001)
  row = jnp.clip((y + 1) * (size / 2) - 0.5, 0, size - 1.001)
  col0, row0 = jnp.floor(col), jnp.floor(row)
  col_weight, row_weight = col - col0, row - row0
  at = (index * size + row0.astype(jnp.int32)) * size + col0.astype(jnp.int32)
  texel = lambda offset: flat[at + offset].astype(jnp.float32)
  top = texel(0) + (texel(1) - texel(0)) * col_weight
  bottom = texel(size) + (texel(size + 1) - texel(size)) * col_weight
  value = top + (bottom - top) * row_weight
  return value if unit == 1 else value * unit


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
