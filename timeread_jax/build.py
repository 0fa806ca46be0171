"""A run's config made into what computes: the model (a trunk under its `head`), the label representation that
reads its outputs, and the shapes of its input and variables.

No optimizer, no data, no device mesh: the training steps add those, while a reader (from a workdir or a saved
file) and the tools that count parameters or FLOPs need only this and the weights.
"""
import dataclasses

import flax.linen as nn
import jax
import jax.numpy as jnp

from timeread_jax import models
from timeread_jax import representations
from timeread_jax.config import Config

# The pictures of each data set, as a model sees them (height, width, channels); clocks are the config's size.
_INPUT_SHAPES = {'fashion_mnist': (28, 28, 1), 'cifar10': (32, 32, 3)}


@dataclasses.dataclass(frozen=True)
class Network:
  """The model a config names, with a head as wide as its representation needs, and its input."""
  model: nn.Module
  representation: representations.Representation
  input_shape: tuple[int, ...]  # one example's, NHWC without the batch

  def init(self, rngs: dict) -> dict:
    """Freshly initialized variables: {'params': ..., 'batch_stats': ...} (the latter empty for models without)."""
    variables = self.model.init(rngs, jnp.zeros((1, *self.input_shape), self.model.dtype), train=False)
    return {'params': variables['params'], 'batch_stats': variables.get('batch_stats', {})}

  def variable_shapes(self) -> dict:
    """The variables' shapes and dtypes, computed without computing them."""
    return jax.eval_shape(lambda: self.init({'params': jax.random.key(0), 'dropout': jax.random.key(1)}))

  @property
  def convolutional(self) -> bool:
    """Whether the model convolves: on CPU such a model trains one step per call (steps.steps_per_call)."""
    return any(leaf.ndim == 4 for leaf in jax.tree.leaves(self.variable_shapes()['params']))


def input_shape(config: Config) -> tuple[int, ...]:
  if config.data == 'clocks':
    return (config.image_size, config.image_size, 1)
  return _INPUT_SHAPES[config.data]


def network(config: Config) -> Network:
  """The model, representation and input shape `config` describes."""
  representation = representations.build(config.representation, **config.representation_options)
  model = models.build(config.model, representation.num_outputs, dtype=jnp.dtype(config.dtype), **config.model_options)
  return Network(model, representation, input_shape(config))


def model_input(images, dtype=jnp.float32):
  """Stored images (uint8 or float in [0, 1], with or without a channel axis) as the model's NHWC input."""
  if images.dtype == jnp.uint8:
    images = images.astype(jnp.float32) / 255
  if images.ndim == 3:
    images = images[..., None]
  return images.astype(dtype)
