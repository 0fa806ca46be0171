"""Batch sources: what one training step sees, gathered from the stored split or rendered afresh."""
import jax
import jax.numpy as jnp
import numpy as np

from timeread_jax import data
from timeread_jax.config import Config


def _config(**overrides):
  return Config(experiment='test', data='clocks', model='clocknet', representation='twohead', image_size=48,
                **overrides)


def test_stored_batches_are_the_examples_at_the_indices():
  source = data.batch_source(_config())
  images = np.arange(5 * 48 * 48, dtype=np.uint8).reshape(5, 48, 48)
  labels = np.arange(10, dtype=np.int32).reshape(5, 2)
  stored = source.device_data((images, labels))
  batch_images, batch_labels = source.batch(stored, jnp.array([3, 1]), jax.random.key(0))
  np.testing.assert_array_equal(batch_images, images[[3, 1]])
  np.testing.assert_array_equal(batch_labels, labels[[3, 1]])


def test_fresh_clocks_are_new_every_key_and_the_same_for_the_same_key():
  source = data.batch_source(_config(fresh_data=True))
  assert source.device_data(('unused', 'unused')) is None
  indices = jnp.zeros(4, jnp.int32)
  first, labels = source.batch(None, indices, jax.random.key(1))
  again, same_labels = source.batch(None, indices, jax.random.key(1))
  other, _ = source.batch(None, indices, jax.random.key(2))
  assert first.shape == (4, 48, 48) and first.dtype == jnp.uint8 and labels.shape == (4, 2)
  np.testing.assert_array_equal(first, again)
  np.testing.assert_array_equal(labels, same_labels)
  assert not np.array_equal(first, other)


def test_held_out_styles_render_the_seen_styles_only_for_training():
  assert data.batch_source(_config(fresh_data=True, held_out_styles=True)).styles == 'seen'
  assert data.batch_source(_config(fresh_data=True)).styles == 'all'
