"""The family of clock designs: hands of every shape read back where the label says on light and dark faces, the
'seen'/'unseen' split, pictures without clocks, and the same pixels on one device and on eight."""
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np

from timeread_jax import designs
from timeread_jax import dials
from timeread_jax import looks
from timeread_jax import render
from timeread_jax import scenes

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_SIZE = 150
# The hands apart, and apart from each other's tails, so that each can be read alone.
_TIMES = ((3, 40), (9, 5), (7, 20), (1, 50))
_BLANK = designs.NUM_LEIDEN_MARKINGS + next(i for i, m in enumerate(dials.MARKINGS)
                                            if m.numerals == 'none' and m.ticks == 'none')


def _angle_between(a, b):
  return np.abs((np.asarray(a) - b + 180) % 360 - 180)


def _on_circle(image, radius):
  """Angles (clockwise from 12, degrees) and bilinear samples on a circle of `radius` px around the centre."""
  angles = np.arange(0, 360, 0.25)
  centre = image.shape[0] / 2 - 0.5  # the renderer puts pixel centres at index + 0.5
  rows = centre - radius * np.cos(np.radians(angles))
  cols = centre + radius * np.sin(np.radians(angles))
  row0, col0 = np.floor(rows).astype(int), np.floor(cols).astype(int)
  row_weight, col_weight = rows - row0, cols - col0
  image = image.astype(float)
  values = ((1 - row_weight) * ((1 - col_weight) * image[row0, col0] + col_weight * image[row0, col0 + 1]) +
            row_weight * ((1 - col_weight) * image[row0 + 1, col0] + col_weight * image[row0 + 1, col0 + 1]))
  return angles, values


def _hand_direction(image, radius, lighter, ignore, window):
  """Direction (degrees) of the hand crossing the circle of `radius` px: the strongest contrast with the face (a
  light hand on a dark face where `lighter`), away from the directions in `ignore`, refined by the
  contrast-weighted mean direction within `window` degrees of it (both edges of a skeleton hand)."""
  angles, values = _on_circle(image, radius)
  contrast = (values - np.median(values)) * (1 if lighter else -1)
  for direction in ignore:
    contrast[_angle_between(angles, direction) < 15] = 0
  peak = angles[np.argmax(contrast)]
  near = _angle_between(angles, peak) < window
  weights = np.maximum(contrast[near] - 0.25 * contrast.max(), 0)
  return np.degrees(np.angle(np.sum(weights * np.exp(1j * np.radians(angles[near]))))) % 360


def _upright_cases():
  """(design, scene, label, second hand's angle) for every hand shape on light and dark faces, with and without a
  second hand, over dials the keys draw (outlines, textures, cases); and the Leiden clock on the general path."""
  cases = []
  for index, (shape, dark, second) in enumerate(
      (shape, dark, second) for shape in designs.HAND_SHAPES for dark in (False, True) for second in (False, True)):
    key = jax.random.key(index)
    design = designs.draw(key, 'all', upright=True, hand_shape=shape, dark=dark)
    cases.append((design, shape, dark, second))
  for index in range(2):
    cases.append((designs.leiden(looks.draw(jax.random.key(100 + index), True, 'all')), 'leiden', False, False))
  rendered = []
  for index, (design, shape, dark, second) in enumerate(cases):
    hour, minute = _TIMES[index % len(_TIMES)]
    hands = np.array([(hour + minute / 60) * 30, minute * 6])
    # The second hand where neither hand nor either tail is.
    free = np.arange(0, 360, 5)
    second_angle = free[np.argmax(np.min(_angle_between(free[:, None], np.concatenate([hands, hands + 180])), 1))]
    design = design._replace(markings=jnp.int32(_BLANK), extras=jnp.int32(0), second_hand=jnp.float32(second),
                             second_angle=jnp.radians(jnp.float32(second_angle)))
    scene = scenes.draw(jax.random.key(1000 + index), design, upright=True)
    rendered.append((design, scene, jnp.array([hour, minute], jnp.int32), second_angle, shape, dark, second))
  return rendered


def test_hands_of_every_shape_point_where_the_label_says_on_light_and_dark_faces():
  cases = _upright_cases()
  stack = lambda trees: jax.tree.map(lambda *leaves: jnp.stack(leaves), *trees)
  images = np.asarray(jax.jit(jax.vmap(lambda d, s, label: render.render_design(d, s, label, _SIZE)))(
      stack([c[0] for c in cases]), stack([c[1] for c in cases]), jnp.stack([c[2] for c in cases])))
  face_radius = scenes.UPRIGHT_FACE_RADIUS * _SIZE
  shapes_seen = set()
  for image, (design, _, label, second_angle, shape, dark, second) in zip(images, cases):
    hour, minute = (int(v) for v in label)
    hour_angle, minute_angle = (hour + minute / 60) * 30, minute * 6
    hour_length, minute_length = float(design.hour_length), float(design.minute_length)
    assert hour_length < minute_length  # the hour hand is always the shorter
    lighter = float(design.hand_gray) > float(design.face_gray)
    assert lighter == dark
    ignore = [second_angle, second_angle + 180] if second else []
    # The minute hand beyond the hour hand's tip; the hour hand near its own tip, beyond hub and counterweights.
    at_minute = (hour_length + float(design.hour_width) / 2 + minute_length) / 2
    at_hour = 0.85 * hour_length
    window = lambda width, at: np.degrees(width / at) + 4
    measured_minute = _hand_direction(image, at_minute * face_radius, lighter, ignore,
                                      window(float(design.minute_width), at_minute))
    measured_hour = _hand_direction(image, at_hour * face_radius, lighter,
                                    ignore + [minute_angle, minute_angle + 180],
                                    window(float(design.hour_width), at_hour))
    what = f'{shape} hands, {"dark" if dark else "light"} face, second hand {second}, {hour}:{minute:02d}'
    assert _angle_between(measured_minute, minute_angle) < 2.5, (what, measured_minute)
    assert _angle_between(measured_hour, hour_angle) < 4, (what, measured_hour)
    shapes_seen.add(shape)
  assert shapes_seen == {*designs.HAND_SHAPES, 'leiden'}


def _draw_many(design_set, count=600):
  keys = jax.random.split(jax.random.key(7), count)
  return jax.vmap(lambda k: render.draw(k, design_set))(keys)[0]


def test_seen_and_unseen_split_all_by_feature_and_others_is_all_but_the_leiden_clock():
  values, drawn_by_set = {}, {}
  for design_set in ('all', 'seen', 'unseen'):
    drawn = drawn_by_set[design_set] = _draw_many(design_set)
    other = np.asarray(drawn.leiden) == 0
    assert 0.07 < 1 - other.mean() < 0.18  # the Leiden clock in about 1 of 8
    markings = np.asarray(drawn.markings)
    assert np.all(markings[other] >= designs.NUM_LEIDEN_MARKINGS)
    assert np.all(markings[~other] < designs.NUM_LEIDEN_MARKINGS)
    values[design_set] = {
        'outline': {designs.OUTLINES[i] for i in np.asarray(drawn.outline)[other]},
        'face': {designs.FACES[i] for i in np.asarray(drawn.face)[other]},
        'hands': {designs.HAND_SHAPES[i] for i in np.asarray(drawn.hand_shape)[other]},
        'font': {dials.MARKINGS[i - designs.NUM_LEIDEN_MARKINGS].font for i in markings[other]},
        'leiden style': set(markings[~other]),
    }
    assert np.all(np.asarray(drawn.hour_length) < np.asarray(drawn.minute_length))
  for feature in ('outline', 'face', 'hands', 'font'):
    seen, unseen, every = values['seen'][feature], values['unseen'][feature], values['all'][feature]
    assert not seen & set(designs.UNSEEN_ONLY[feature]) and not unseen & set(designs.SEEN_ONLY[feature])
    assert seen & unseen <= set(designs.SHARED[feature])  # what both show is only what neither holds out
    assert unseen >= set(designs.UNSEEN_ONLY[feature]) and seen >= set(designs.SEEN_ONLY[feature])
    assert seen | unseen == every  # together they cover 'all'
  assert max(values['seen']['leiden style']) < dials.NUM_TRAINING_STYLES <= min(values['unseen']['leiden style'])
  # 'others', what a Leiden reader learns to call "no clock" (--other_clocks): from the same key, every design of
  # 'all' that is not the Leiden clock, and never the Leiden clock
  every, others = drawn_by_set['all'], _draw_many('others')
  assert np.all(np.asarray(others.leiden) == 0)
  not_leiden = np.asarray(every.leiden) == 0
  for field in every._fields:
    np.testing.assert_array_equal(np.asarray(getattr(others, field))[not_leiden],
                                  np.asarray(getattr(every, field))[not_leiden])


def test_render_clocks_draws_a_design_set_as_uint8_pictures():
  """One set ('all' is rendered by the eight-device test; each set costs a compilation)."""
  images = np.asarray(render.render_clocks(jax.random.key(1), render.random_labels(jax.random.key(2), 3), 48,
                                           designs='unseen'))
  assert images.shape == (3, 48, 48) and images.dtype == np.uint8
  assert len({image.tobytes() for image in images}) == 3


def test_render_no_clock_gives_distinct_pictures_without_clocks():
  images = np.asarray(render.render_no_clock(jax.random.key(3), 8, 48))
  assert images.shape == (8, 48, 48) and images.dtype == np.uint8
  assert len({image.tobytes() for image in images}) == 8
  assert images.std(axis=(1, 2)).min() > 0  # none of them blank


_SHARDED_RENDER = '''
import sys
import jax
import numpy as np
from timeread_jax import render

mesh = jax.make_mesh((jax.device_count(),), ('data',), axis_types=(jax.sharding.AxisType.Auto,))
batch = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec('data'))


@jax.jit
def fresh(key, labels):
  keys = jax.lax.with_sharding_constraint(jax.random.split(key, 16), batch)
  labels = jax.lax.with_sharding_constraint(labels, batch)
  images = jax.vmap(lambda k, label: render.render_one(k, label, 75, designs='all'))(keys, labels)
  return jax.lax.with_sharding_constraint(images, batch)


images = fresh(jax.random.key(0), render.random_labels(jax.random.key(1), 16))
assert len(images.sharding.device_set) == jax.device_count()
np.save(sys.argv[1], np.asarray(images))
'''


def test_eight_devices_render_the_pictures_one_device_renders(tmp_path):
  """Each device renders its own share of a batch of every design and gets the very pixels one device renders."""
  runs = []
  for devices in (1, 8):
    env = {**os.environ, 'XLA_FLAGS': f'--xla_force_host_platform_device_count={devices}', 'JAX_PLATFORMS': 'cpu'}
    runs.append(subprocess.Popen([sys.executable, '-c', _SHARDED_RENDER, str(tmp_path / f'{devices}.npy')], env=env,
                                 cwd=ROOT, stderr=subprocess.PIPE, text=True))
  for run in runs:  # side by side: each compiles for most of its time
    _, stderr = run.communicate(timeout=300)
    assert run.returncode == 0, stderr[-2000:]
  one, eight = np.load(tmp_path / '1.npy'), np.load(tmp_path / '8.npy')
  assert one.shape == (16, 75, 75)
  assert np.array_equal(one, eight)
