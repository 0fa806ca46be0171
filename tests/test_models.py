"""Parameter counts against the counts Keras reports for the same architectures, and output shapes."""
import flax.linen
import jax
import jax.numpy as jnp
import pytest

from timeread_jax import models


def _variables(model, input_shape):
  return jax.eval_shape(lambda: model.init(jax.random.PRNGKey(0), jnp.zeros((2, *input_shape)), train=False))


def _jit_init(model, input_shape):  # jitted: a whole trunk op by op takes three times as long on CPU
  return jax.jit(model.init, static_argnames='train')(jax.random.PRNGKey(0), jnp.zeros((2, *input_shape)), train=False)


def _count(tree):
  return sum(leaf.size for leaf in jax.tree.leaves(tree))


@pytest.mark.parametrize('name, options, input_shape, keras_count', [
    # Géron's MLP: 784*300+300 + 300*100+100 + 100*10+10.
    ('mlp', {}, (28, 28, 1), 266_610),
    ('mlp', {'hidden': (300, 200, 100)}, (28, 28, 1), 316_810),
    # Keras counts BatchNormalization's moving mean and variance too: 4 per unit.
    ('mlp', {'batch_norm': True}, (28, 28, 1), 266_610 + 4 * 400),
    ('mlp', {}, (32, 32, 3), 3072 * 300 + 300 + 30_100 + 1010),
    ('geron_cnn', {}, (28, 28, 1), 1_413_834),
    ('geron_cnn', {'extra_conv': True}, (28, 28, 1), 1_413_834 + 590_080),
    # Valid padding without the second pool ends on a 1x1x256 map: Dense(128) has 256*128+128 weights.
    ('geron_cnn', {'padding': 'VALID'}, (28, 28, 1), 1_413_834 - 2304 * 128 + 256 * 128),
    ('geron_cnn', {}, (32, 32, 3), 1_413_834 + 64 * 49 * 2 + 4096 * 128 - 2304 * 128),
    # Batch norm after each conv replaces its bias by 4 numbers a channel (gamma, beta, moving mean and variance).
    ('geron_cnn', {'batch_norm': True}, (28, 28, 1), 1_413_834 + 3 * (64 + 2 * 128 + 2 * 256)),
    # The report's clock CNN: 3x (Conv32, pool) on 150 px leaves 18x18x32 = 10,368 features.
    ('report_clock_cnn', {}, (150, 150, 1),
     832 + 9248 * 2 + 10368 * 1024 + 1024 + 1024 * 512 + 512 + 512 * 256 + 256 + 256 * 128 + 128 + 128 * 64 + 64
     + 64 * 32 + 32 + 33 * 13),
    # ResNet: 3x3 convolutions without bias (stem 1->64, four 64->64, then 64->128 and 128->256 each with three more
    # at the new width and a 1x1 shortcut), 2,240 batch-normalized channels at 4 numbers each, Dense 256->10.
    ('resnet', {}, (28, 28, 1),
     9 * (64 + 4 * 64 * 64 + 64 * 128 + 3 * 128 * 128 + 128 * 256 + 3 * 256 * 256) + 64 * 128 + 128 * 256
     + 4 * (64 + 4 * 64 + 5 * 128 + 5 * 256) + 256 * 10 + 10),
])
def test_parameter_counts_match_keras(name, options, input_shape, keras_count):
  num_outputs = 13 if name == 'report_clock_cnn' else 10
  variables = _variables(models.build(name, num_outputs, **options), input_shape)
  assert _count(variables) == keras_count


@pytest.mark.parametrize('name, input_shape', [
    ('mlp', (28, 28, 1)), ('geron_cnn', (28, 28, 1)), ('report_clock_cnn', (75, 75, 1)), ('clocknet', (150, 150, 1)),
    ('clocknet', (75, 75, 1)), ('resnet', (28, 28, 1)), ('resnet', (32, 32, 3))])
def test_outputs_have_the_head_width(name, input_shape):
  model = models.build(name, 4)
  variables = _jit_init(model, input_shape)
  outputs = jax.jit(model.apply, static_argnames='train')(variables, jnp.ones((3, *input_shape)), train=False)
  assert outputs.shape == (3, 4)
  assert bool(jnp.all(jnp.isfinite(outputs)))


def test_bfloat16_compute_keeps_float32_parameters():
  model = models.build('clocknet', 2, dtype=jnp.bfloat16)
  variables = _jit_init(model, (75, 75, 1))
  assert {leaf.dtype for leaf in jax.tree.leaves(variables['params'])} == {jnp.dtype('float32')}
  outputs = jax.jit(model.apply, static_argnames='train')(variables, jnp.zeros((1, 75, 75, 1)), train=False)
  assert outputs.dtype == jnp.bfloat16


def test_unknown_activation_is_refused():
  with pytest.raises(ValueError, match='leaky_relu'):
    models.activation_fn('tanh')


@pytest.mark.parametrize('height, width', [(28, 28), (7, 7), (75, 38)])
def test_max_pool_2x2_pools_and_differentiates_as_flax_max_pool(height, width):
  x = jax.random.normal(jax.random.PRNGKey(0), (2, height, width, 3))  # no ties: one maximum per window

  def flax_pool(x):
    return flax.linen.max_pool(x, (2, 2), (2, 2))

  assert jnp.array_equal(models.max_pool_2x2(x), flax_pool(x))
  weights = jax.random.normal(jax.random.PRNGKey(1), (2, height // 2, width // 2, 3))
  ours, theirs = (jax.grad(lambda x, pool=pool: jnp.sum(pool(x) * weights))(x) for pool in (models.max_pool_2x2,
                                                                                          flax_pool))
  assert jnp.array_equal(ours, theirs)


def test_space_to_depth_keeps_every_pixel_once_in_its_patch():
  pictures = jax.random.uniform(jax.random.PRNGKey(0), (2, 75, 75, 1)) + 1  # no zeros, unlike the padding
  patches = models.space_to_depth(pictures, 4)
  assert patches.shape == (2, 19, 19, 16)
  assert jnp.array_equal(patches[1, 2, 3].reshape(4, 4), pictures[1, 8:12, 12:16, 0])
  assert jnp.array_equal(jnp.sort(patches[patches > 0]), jnp.sort(pictures.ravel()))  # the rest is the padding


def test_a_space_to_depth_clocknet_maps_75px_pictures_through_19x19_patches():
  model = models.build('clocknet', 4, widths=(64, 128, 256), stem=(24,), space_to_depth=4)
  variables = _jit_init(model, (75, 75, 1))
  assert variables['params']['Conv_0']['kernel'].shape == (3, 3, 16, 24)
  assert variables['params']['Dense_0']['kernel'].shape == (2 * 2 * 256, 256)  # 19 -> 9 -> 4 -> 2


@pytest.mark.parametrize('name, input_shape', [('mlp', (28, 28, 1)), ('geron_cnn', (28, 28, 1)),
                                               ('report_clock_cnn', (75, 75, 1)), ('clocknet', (75, 75, 1)),
                                               ('resnet', (32, 32, 3))])
def test_the_head_is_named_head_and_is_the_only_layer_as_wide_as_the_output(name, input_shape):
  """What a trunk transfer (--fresh_head) leaves behind and --head_only_epochs trains alone."""
  model = models.build(name, 7)
  params = _variables(model, input_shape)['params']
  assert params['head']['kernel'].shape[-1] == 7
  assert all(leaf.shape[-1] != 7 for module, tree in params.items() if module != 'head'
             for leaf in jax.tree.leaves(tree))


def test_chunked_weight_gradient_is_lax_gradient():
  """20 examples: chunks of 8, 8 and 4, through a strided SAME convolution as in ClockNet's stem."""
  x = jax.random.normal(jax.random.PRNGKey(0), (20, 15, 15, 3))
  w = jax.random.normal(jax.random.PRNGKey(1), (3, 3, 3, 5))

  def gradients(conv):
    def loss(x, w):
      return jnp.sum(jnp.sin(conv(x, w, (2, 2), 'SAME', dimension_numbers=('NHWC', 'HWIO', 'NHWC'))))
    step = jax.value_and_grad(loss, argnums=(0, 1))
    return jax.jit(step)(x, w), str(jax.make_jaxpr(step)(x, w)).count('conv_general_dilated')

  (ours, our_convs), (laxs, lax_convs) = gradients(models.conv_general_dilated), gradients(jax.lax.conv_general_dilated)
  assert our_convs > lax_convs  # the chunks' own (a single CPU device here)
  for a, b in zip(jax.tree.leaves(ours), jax.tree.leaves(laxs)):
    assert a.shape == b.shape
    assert jnp.allclose(a, b, rtol=1e-5, atol=1e-4)
