"""A config built into its network with no optimizer, data or mesh: the model with its head, and shapes."""
import jax
import numpy as np
import pytest

from timeread_jax import build
from timeread_jax import representations
from timeread_jax.config import Config


@pytest.mark.parametrize('data, model, representation, input_shape, convolutional', [
    ('clocks', 'clocknet', 'twohead', (75, 75, 1), True), ('fashion_mnist', 'mlp', 'categorical', (28, 28, 1), False),
    ('cifar10', 'geron_cnn', 'categorical', (32, 32, 3), True)])
def test_a_config_builds_its_network_and_the_shapes_of_its_variables(data, model, representation, input_shape,
                                                                     convolutional):
  config = Config(experiment='test', data=data, model=model, representation=representation, image_size=75)
  network = build.network(config)
  assert network.input_shape == input_shape and network.convolutional == convolutional
  assert isinstance(network.representation, representations.REPRESENTATIONS[representation])
  shapes = network.variable_shapes()
  assert shapes['params']['head']['kernel'].shape[-1] == network.representation.num_outputs
  assert all(isinstance(leaf, jax.ShapeDtypeStruct) for leaf in jax.tree.leaves(shapes))  # nothing computed
  variables = network.init({'params': jax.random.key(0), 'dropout': jax.random.key(1)})
  assert jax.tree.map(np.shape, variables) == jax.tree.map(lambda leaf: leaf.shape, shapes)


def test_model_input_is_float_nhwc_in_0_1():
  images = np.full((2, 5, 5), 255, np.uint8)
  x = build.model_input(images)
  assert x.shape == (2, 5, 5, 1) and x.dtype == np.float32 and float(x.max()) == 1.0
