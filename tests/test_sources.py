"""Batch sources: what one training step sees, gathered from the stored split or rendered afresh."""
import jax
import jax.numpy as jnp
import numpy as np

from timeread_jax import looks
from timeread_jax import augment
from timeread_jax import render
from timeread_jax import representations
from timeread_jax import sources
from timeread_jax import synthetic


def _source(small_config, steps_per_epoch=1, **overrides):
  return sources.batch_source(small_config(**{'image_size': 48, **overrides}), steps_per_epoch)


def test_stored_batches_are_the_examples_at_the_indices(small_config):
  source = _source(small_config)
  images = np.arange(5 * 48 * 48, dtype=np.uint8).reshape(5, 48, 48)
  labels = np.arange(10, dtype=np.int32).reshape(5, 2)
  stored = source.device_data((images, labels))
  batch_images, batch_labels = source.batch(stored, jnp.array([3, 1]), jax.random.key(0), 0)
  np.testing.assert_array_equal(batch_images, images[[3, 1]])
  np.testing.assert_array_equal(batch_labels, labels[[3, 1]])


def test_fresh_clocks_are_new_every_key_and_the_same_for_the_same_key(small_config):
  source = _source(small_config, fresh_data=True)
  assert source.device_data(('unused', 'unused')) is None
  indices = jnp.zeros(4, jnp.int32)
  first, labels = source.batch(None, indices, jax.random.key(1), 0)
  again, same_labels = source.batch(None, indices, jax.random.key(1), 0)
  other, _ = source.batch(None, indices, jax.random.key(2), 0)
  assert first.shape == (4, 48, 48) and first.dtype == jnp.uint8 and labels.shape == (4, 2)
  np.testing.assert_array_equal(first, again)
  np.testing.assert_array_equal(labels, same_labels)
  assert not np.array_equal(first, other)


def test_other_clocks_are_clocks_of_other_designs_labelled_no_clock(small_config):
  """--other_clocks: after the Leiden clocks (and any pictures without a clock, which training always has beside
  them), clocks of every other design, labelled as no clock."""
  assert _source(small_config, fresh_data=True, no_clock=0.1, other_clocks=0.2,
                 representation_options={'presence': True}).other_clocks == 0.2
  key = jax.random.key(1)
  images, labels = sources.FreshClocks(48, other_clocks=0.5).batch(None, jnp.zeros(8, jnp.int32), key, 0)
  assert images.shape == (8, 48, 48)
  np.testing.assert_array_equal(labels[4:], np.tile(representations.NO_CLOCK, (4, 1)))
  assert np.all(np.asarray(labels[:4]) >= 0)
  others = render.render_clocks(jax.random.fold_in(key, 2), render.random_labels(jax.random.fold_in(key, 3), 4), 48,
                                designs='others')
  np.testing.assert_array_equal(images[4:], others)


def test_held_out_styles_render_the_seen_styles_only_for_training(small_config):
  assert _source(small_config, fresh_data=True, held_out_styles=True).styles == 'seen'
  assert _source(small_config, fresh_data=True).styles == 'all'


def test_a_turn_warmup_renders_clocks_nearly_upright_first_and_turned_any_way_after_it(small_config):
  source = _source(small_config, steps_per_epoch=100, fresh_data=True, turn_warmup_epochs=2)
  assert source.turn_warmup_steps == 200
  keys = jax.random.split(jax.random.key(3), 400)
  turns = {step: np.abs(jax.vmap(lambda k: looks.draw(k, False, 'all', source.turn(step)).rotation)(keys))
           for step in (0, 99, 199, 10**6)}
  assert turns[0].max() <= np.pi / 200 and turns[99].max() <= np.pi / 2 < turns[199].max()
  assert turns[199].min() < 0.1 and np.array_equal(turns[199], turns[10**6])  # the whole circle, from then on
  indices = jnp.zeros(4, jnp.int32)
  first, labels = source.batch(None, indices, jax.random.key(4), 0)
  later, same_labels = source.batch(None, indices, jax.random.key(4), 10**6)
  np.testing.assert_array_equal(labels, same_labels)
  assert not np.array_equal(first, later)
  assert _source(small_config, fresh_data=True).turn(0) is None  # no warm-up: the turn is drawn as it always was
  assert looks.draw(keys[0], True, 'all', source.turn(0)).rotation == 0  # upright stays upright


def test_erasing_wraps_either_source_and_changes_one_rectangle_of_the_pictures_it_picks(small_config):
  assert isinstance(_source(small_config, erase=0.5).source, sources.Stored)
  assert isinstance(_source(small_config, fresh_data=True, erase=0.5).source, sources.FreshClocks)
  assert not isinstance(_source(small_config, fresh_data=True), augment.Augmented)  # no erasing: batches as always
  images = np.arange(4 * 48 * 48, dtype=np.int32).reshape(4, 48, 48) % 251
  labels = np.arange(8, dtype=np.int32).reshape(4, 2)
  indices = jnp.arange(4)
  erased, erased_labels = _source(small_config, erase=1.0).batch((images, labels), indices, jax.random.key(0), 0)
  np.testing.assert_array_equal(erased_labels, labels)
  for image, out in zip(images, np.asarray(erased)):
    changed = np.argwhere(image != out)
    assert len(changed), 'an erased picture changes'
    (top, left), (bottom, right) = changed.min(0), changed.max(0)
    assert len(np.unique(out[top:bottom + 1, left:right + 1])) == 1  # one grey fills the box
    assert 0.02 * 48 * 48 * 0.5 < (bottom - top + 1) * (right - left + 1) < 0.15 * 48 * 48 * 1.5
  kept, _ = _source(small_config, erase=1e-9).batch((images, labels), indices, jax.random.key(0), 0)
  np.testing.assert_array_equal(kept, images)


def test_via_75px_wraps_a_source_and_shows_the_share_it_picks_as_75px_photos(small_config):
  images, labels = synthetic.make_clocks(6, seed=5)
  indices = jnp.arange(6)
  source = _source(small_config, image_size=150, via_75px=1.0, erase=0.5)
  assert isinstance(source.source, augment.Augmented)  # then erased
  assert isinstance(source.source.source, sources.Stored)
  seen, seen_labels = source.source.batch((images, labels), indices, jax.random.key(0), 0)
  np.testing.assert_array_equal(seen_labels, labels)
  np.testing.assert_array_equal(seen, augment.some_through_75px(jax.random.key(1), images, 1.0))
  kept, _ = _source(small_config, image_size=150, via_75px=1e-9).batch((images, labels), indices, jax.random.key(0), 0)
  np.testing.assert_array_equal(kept, images)
  assert not isinstance(_source(small_config), augment.Augmented)
