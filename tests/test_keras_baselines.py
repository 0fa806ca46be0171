"""The Keras twins: as many parameters as their Flax models, the same function of the same weights, the same losses."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest  # noqa: E402

keras = pytest.importorskip('keras')

from experiments import keras_baselines  # noqa: E402
from timeread_jax import models  # noqa: E402
from timeread_jax import representations  # noqa: E402
from timeread_jax.config import Config  # noqa: E402
from timeread_jax.steps import cosine_schedule  # noqa: E402

FASHION = (28, 28, 1)
CIFAR10 = (32, 32, 3)
CLOCKS = (150, 150, 1)


def _config(model: str, representation: str = 'categorical', representation_options=None, **model_options):
  if representation == 'categorical':
    representation_options = {'num_classes': 10}
  return Config(experiment='test', data='fashion_mnist', model=model, representation=representation,
                model_options=model_options, representation_options=representation_options or {})


def _flax_variables(config: Config, input_shape, seed: int = 0) -> dict:
  representation = representations.build(config.representation, **config.representation_options)
  model = models.build(config.model, representation.num_outputs, **config.model_options)
  return model.init(jax.random.PRNGKey(seed), jnp.zeros((1, *input_shape)), train=False)


def _count(tree) -> int:
  return sum(leaf.size for leaf in jax.tree.leaves(tree))


@pytest.mark.parametrize('config, input_shape, documented_count', [
    # Task 1 Part A: Géron's MLP and each of the report's variants.
    (_config('mlp'), FASHION, 266_610),
    (_config('mlp', hidden=(300, 200, 100)), FASHION, 316_810),
    (_config('mlp', batch_norm=True), FASHION, 266_610 + 4 * 400),  # Keras counts the moving statistics too
    (_config('mlp', dropout=0.5), FASHION, 266_610),
    (_config('mlp', activation='leaky_relu'), FASHION, 266_610),
    (_config('mlp', hidden=(1024, 512), batch_norm=True, dropout=0.3), FASHION, None),
    # Task 1 Part B: Géron's CNN and the report's screened variants; Part C: both on CIFAR-10.
    (_config('geron_cnn'), FASHION, 1_413_834),
    (_config('geron_cnn', extra_conv=True), FASHION, 1_413_834 + 590_080),
    (_config('geron_cnn', padding='VALID'), FASHION, 1_413_834 - 2304 * 128 + 256 * 128),
    (_config('geron_cnn', last_dropout=0.25), FASHION, 1_413_834),
    (_config('geron_cnn', activation='leaky_relu'), FASHION, 1_413_834),
    (_config('geron_cnn', batch_norm=True), FASHION, None),  # ours
    (_config('geron_cnn'), CIFAR10, None),
    (_config('resnet'), FASHION, None),  # ours
    (_config('resnet'), CIFAR10, None),
    (_config('mlp', hidden=(300, 200, 100), activation='leaky_relu', dropout=0.5), CIFAR10, None),
    # Task 2: both trunks with the two-head and the periodic readers, and the others.
    (_config('clocknet', 'twohead'), CLOCKS, None),
    (_config('clocknet', 'periodic'), CLOCKS, None),
    (_config('clocknet', 'periodic', {'hands': True}), CLOCKS, None),
    (_config('clocknet', 'classify', {'num_classes': 720}), CLOCKS, None),
    (_config('clocknet', 'twohead'), (75, 75, 1), None),
    (_config('clocknet', 'twohead', widths=(64, 128, 256), stem=(24,), space_to_depth=4), (75, 75, 1), None),
    (_config('report_clock_cnn', 'twohead'), CLOCKS, None),
    (_config('report_clock_cnn', 'periodic'), CLOCKS, None),
    (_config('report_clock_cnn', 'regress'), (75, 75, 1), None),
])
def test_every_twin_has_its_flax_models_parameters_and_initializers(config, input_shape, documented_count):
  twin = keras_baselines.build_model(config, input_shape)
  flax_count = _count(jax.eval_shape(lambda: _flax_variables(config, input_shape)))  # params and batch_stats
  assert twin.count_params() == flax_count
  if documented_count:
    assert flax_count == documented_count
  kernel_initializers = [type(layer.kernel_initializer) for layer in twin.layers if hasattr(layer, 'kernel')]
  assert kernel_initializers and set(kernel_initializers) == {keras.initializers.LecunNormal}


def _flax_weights_in_keras_order(variables: dict) -> list[np.ndarray]:
  """Flax's variables in the order of the twin's weights: Linen keeps its modules in the order they are called."""
  weights = []
  for name, params in variables['params'].items():
    if 'kernel' in params:
      weights += [params['kernel']] + ([params['bias']] if 'bias' in params else [])
    else:  # BatchNorm: gamma, beta, moving mean, moving variance
      stats = variables['batch_stats'][name]
      weights += [params['scale'], params['bias'], stats['mean'], stats['var']]
  return [np.asarray(weight) for weight in weights]


@pytest.mark.parametrize('config, input_shape', [
    (_config('mlp', hidden=(300, 200, 100), batch_norm=True, activation='leaky_relu'), FASHION),
    (_config('geron_cnn', padding='VALID'), FASHION),
    (_config('geron_cnn', extra_conv=True), FASHION),
    (_config('geron_cnn', activation='leaky_relu'), CIFAR10),
    (_config('resnet'), FASHION),
    (_config('report_clock_cnn', 'twohead'), (75, 75, 1)),
    (_config('clocknet', 'periodic', {'hands': True}), CLOCKS),
    (_config('clocknet', 'twohead', widths=(64, 128, 256), stem=(24,), space_to_depth=4), (75, 75, 1)),
])
def test_a_twin_computes_what_its_flax_model_computes_with_the_same_weights(config, input_shape):
  variables = _flax_variables(config, input_shape)
  # Small running variances and nonzero means: a mismatched epsilon, padding or layer order changes the outputs.
  rng = np.random.default_rng(0)
  variables['batch_stats'] = jax.tree.map(lambda stat: rng.uniform(0.001, 0.01, stat.shape).astype(np.float32),
                                          variables.get('batch_stats', {}))
  twin = keras_baselines.build_model(config, input_shape)
  twin.set_weights(_flax_weights_in_keras_order(variables))
  images = rng.uniform(0, 1, (4, *input_shape)).astype(np.float32)
  representation = representations.build(config.representation, **config.representation_options)
  flax_outputs = models.build(config.model, representation.num_outputs, **config.model_options).apply(
      variables, images, train=False)
  np.testing.assert_allclose(keras.ops.convert_to_numpy(twin(images, training=False)), flax_outputs,
                             rtol=2e-4, atol=2e-4 * float(np.abs(flax_outputs).max()))


@pytest.mark.parametrize('representation, options', [
    ('categorical', {'num_classes': 10}), ('classify', {'num_classes': 24}), ('classify', {'num_classes': 720}),
    ('regress', {}), ('regress', {'cyclic': True}), ('twohead', {}), ('twohead', {'minute': 'regress'}),
    ('periodic', {}),
    ('periodic', {'hands': True}), ('periodic', {'hands': True, 'hour_weight': 4.0}),
    ('periodic', {'distance': True}), ('periodic', {'hands': True, 'hour_weight': 4.0, 'distance': True}),
])
def test_keras_losses_are_the_representations_losses(representation, options):
  config = Config(experiment='test', data='fashion_mnist', model='mlp', representation=representation,
                        representation_options=options)
  flax_representation = representations.build(representation, **options)
  rng = np.random.default_rng(1)
  outputs = rng.normal(0, 2, (64, flax_representation.num_outputs)).astype(np.float32)
  if representation == 'categorical':
    labels = rng.integers(0, 10, 64)
  else:
    labels = np.stack([rng.integers(0, 12, 64), rng.integers(0, 60, 64)], -1)
  # Keras hands a loss its labels as float32.
  keras_losses = keras.ops.convert_to_numpy(keras_baselines.make_loss(config)(labels.astype(np.float32), outputs))
  np.testing.assert_allclose(keras_losses, flax_representation.loss(outputs, labels), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('optimizer, keras_class', [
    ('sgd', keras.optimizers.SGD), ('adam', keras.optimizers.Adam), ('nadam', keras.optimizers.Nadam),
    ('adadelta', keras.optimizers.Adadelta)])
def test_optimizers_are_keras_defaults_as_the_steps_use_them(optimizer, keras_class):
  config = Config(experiment='test', data='fashion_mnist', model='mlp', representation='categorical',
                  optimizer=optimizer, learning_rate=0.003, momentum=0.9 if optimizer == 'sgd' else 0.0)
  keras_optimizer = keras_baselines.make_optimizer(config, steps_per_epoch=10)
  assert type(keras_optimizer) is keras_class
  assert float(keras_optimizer.learning_rate) == pytest.approx(0.003)
  if optimizer == 'sgd':
    assert keras_optimizer.momentum == 0.9
  else:
    assert keras_optimizer.epsilon == 1e-7  # what trainer.make_optimizer gives optax


@pytest.mark.parametrize('cycles, cycle_decay', [(1, 1.0), (3, 0.7)])
def test_cosine_schedule_is_the_one_the_steps_use(cycles, cycle_decay):
  config = Config(experiment='test', data='fashion_mnist', model='mlp', representation='categorical',
                  optimizer='sgd', learning_rate=0.5, schedule='cosine', epochs=6, cycles=cycles,
                  cycle_decay=cycle_decay)
  keras_optimizer = keras_baselines.make_optimizer(config, steps_per_epoch=4)
  keras_rates = []
  for step in range(24):  # every step a run takes
    keras_optimizer.iterations.assign(step)
    keras_rates.append(float(keras_optimizer.learning_rate))
  np.testing.assert_allclose(keras_rates, cosine_schedule(config, 4)(np.arange(24)), rtol=1e-5, atol=1e-7)
