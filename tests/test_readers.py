"""A trained reader restored from its workdir or its file reads what training evaluated; rotations keep the time."""
import dataclasses
import glob
import json
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from timeread_jax import build
from timeread_jax import photos
from timeread_jax import readers
from timeread_jax import loop
from timeread_jax import datasets
from timeread_jax import pictures
from timeread_jax import synthetic
from timeread_jax.errors import ConfigError
from timeread_jax.steps import Steps


def test_a_restored_reader_scores_the_test_split_as_training_did(trained):
  workdir, config, results = trained
  reader = readers.from_workdir(workdir)
  assert reader.config == dataclasses.replace(config, model_options={'widths': [8, 8, 16, 16], 'dense': 32})
  test_images, test_labels = datasets.load_splits(config).test
  summary, readings = reader.score(test_images, test_labels)
  assert summary['loss'] == pytest.approx(results['test_loss'], rel=1e-5)
  assert summary['cse_minutes'] == pytest.approx(results['test_cse_minutes'], rel=1e-5)
  assert readings.shape == (len(test_images), 2) and readings.dtype == np.int64
  assert np.all((readings[:, 0] >= 0) & (readings[:, 0] < 12) & (readings[:, 1] >= 0) & (readings[:, 1] < 60))


def test_a_saved_reader_loads_and_reads_the_same(trained, tmp_path):
  workdir, _, _ = trained
  reader = readers.from_workdir(workdir)
  path = str(tmp_path / 'reader.msgpack')
  reader.save(path)
  assert sorted(p.name for p in tmp_path.iterdir()) == ['reader.json', 'reader.msgpack']
  loaded = readers.load(path)
  images = synthetic.make_clocks(6, seed=9, image_size=75)[0]
  np.testing.assert_array_equal(loaded.outputs(images), reader.outputs(images))
  assert loaded.config == reader.config
  assert hash(loaded.model) == hash(reader.model)  # so both read with one compiled program


def test_a_reader_reads_pictures_of_any_size(trained):
  reader = readers.from_workdir(trained[0])
  large, _ = synthetic.make_clocks(3, seed=9)  # 150 px for a 75 px reader: block means, as in training
  np.testing.assert_allclose(reader.outputs(large), reader.outputs(pictures.resize_images(large, 75)), atol=1e-6)
  two_greys = np.where(pictures.resize_images(large, 75) > 127, 255, 0).astype(np.uint8)
  dim = (two_greys // 255 * 100 + 50).astype(np.uint8)  # 50 and 150, which the reader stretches back to 0 and 255
  np.testing.assert_array_equal(reader.outputs(dim), reader.outputs(two_greys))


def test_rotations_average_turned_views(trained):
  reader = readers.from_workdir(trained[0])
  images = synthetic.make_clocks(3, seed=9, image_size=75)[0]
  one, three = reader.outputs(images, rotations=1), reader.outputs(images, rotations=3)
  assert one.shape == three.shape == (3, reader.representation.num_outputs)
  views = [readers._apply_rotated(reader.model, reader.variables, jnp.asarray(images), jnp.float32(angle))
           for angle in (0, -6, 6)]
  np.testing.assert_allclose(three, np.mean(views, 0), rtol=1e-5, atol=1e-5)
  assert not np.allclose(one, three)


def test_an_ensemble_averages_its_readers_outputs_and_decodes_them_as_one(trained):
  workdir, config, _ = trained
  reader = readers.from_workdir(workdir)
  other = readers.Reader(reader.config, jax.tree.map(lambda x: x * 0.9, reader.variables))
  ensemble = readers.Ensemble([reader, other])
  images, labels = synthetic.make_clocks(5, seed=9, image_size=75)
  np.testing.assert_allclose(ensemble.outputs(images, rotations=3),
                             (reader.outputs(images, 3) + other.outputs(images, 3)) / 2, rtol=1e-6)
  assert ensemble.image_size == 75
  summary, readings = ensemble.score(images, labels)
  np.testing.assert_array_equal(readings, reader.times(ensemble.outputs(images)))
  assert summary['cse_minutes'] >= 0
  periodic = dataclasses.replace(config, representation='periodic', representation_options={'hands': True})
  with pytest.raises(ConfigError, match='readers that decode alike'):
    readers.Ensemble([reader, readers.Reader(periodic, reader.variables)])


def _presence_reader(small_config, seed, presence_bias):
  """A small untrained reader with a presence output whose clock logit is pinned at `presence_bias`."""
  config = small_config(fresh_data=True, no_clock=0.1, other_clocks=0.2, representation_options={'presence': True})
  variables = jax.tree.map(np.array, build.network(config).init({'params': jax.random.key(seed),
                                                                  'dropout': jax.random.key(seed + 1)}))
  variables['params']['head']['bias'][-1] = presence_bias
  return readers.Reader(config, variables, rotations=1, no_clock_below=0.6)


def test_a_cascade_reads_with_its_gate_the_clocks_it_calls_its_own_and_the_others_with_the_next(small_config):
  images = np.random.default_rng(0).integers(0, 256, (4, 75, 75), dtype=np.uint8)  # what they show is no matter
  gate, then = _presence_reader(small_config, 1, 50.0), _presence_reader(small_config, 3, 0.0)
  then.rotations = 3
  cascade = readers.Cascade(gate, then)
  own = cascade.representation.first.num_outputs  # the columns of its own clocks' readings: time, then presence
  reads = cascade.outputs(images)
  np.testing.assert_allclose(reads[:, :own], gate.outputs(images, 3))
  np.testing.assert_array_equal(cascade.times(reads), gate.times(gate.outputs(images, 3)))
  assert not reads[:, -1].any() and cascade.rotations == 3 and cascade.no_clock_below == 0.6
  # sure it is not its clock, or sure by its own threshold only (sigmoid(0.3) = 0.57, between 0.5 and then's 0.6,
  # where the cascade would call its reading "no clock"): the next reader reads it
  gate.no_clock_below = 0.5
  for bias in (-50.0, 0.3):
    gate.variables['params']['head']['bias'][-1] = bias
    reads = cascade.outputs(images)
    np.testing.assert_allclose(reads[:, own:-1], then.outputs(images, 3))
    np.testing.assert_array_equal(cascade.times(reads), then.times(then.outputs(images, 3)))
    np.testing.assert_allclose(cascade.clock_probability(reads), then.clock_probability(then.outputs(images, 3)))
  # another reader, without a presence output, reads the gate's clocks; the gate's presence logit is beside it
  gate.variables['params']['head']['bias'][-1] = 50.0
  reader = readers.Reader(small_config(), jax.tree.map(np.array, build.network(small_config()).init(
      {'params': jax.random.key(5), 'dropout': jax.random.key(6)})))
  reads = readers.Cascade(gate, then, reader).outputs(images)
  np.testing.assert_allclose(reads[:, :own - 1], reader.outputs(images, 3))
  np.testing.assert_allclose(reads[:, own - 1], gate.outputs(images, 3)[:, -1])
  with pytest.raises(ConfigError, match='train it with --no_clock and --other_clocks'):
    readers.Cascade(reader, then)


def test_a_cascade_is_named_gate_own_then(tmp_path):
  gate, then = str(tmp_path / 'gate.msgpack'), str(tmp_path / 'then.msgpack')
  name = f'{gate}:{readers.SHIPPED["leiden"]}+{then}'
  assert readers.where(name) == name
  assert readers.where('any') == ':'.join([readers.SHIPPED['leiden_own'], readers.SHIPPED['leiden']]) + '+' + \
      readers.SHIPPED['any_classes'] + '*' + readers.SHIPPED['any_clock']
  with pytest.raises(ConfigError, match=f'{gate}: no such workdir or reader file'):
    readers.open_reader(name)
  shipped = readers.open_reader('any')
  parts = (shipped.gate, shipped.own, shipped.then.classes, shipped.then.hands)
  assert [part.config.other_clocks > 0 for part in parts] == [True, False, False, False]
  assert [part.config.designs for part in parts] == ['leiden', 'leiden', 'all', 'all']
  assert [part.config.representation for part in parts] == ['twohead', 'twohead', 'classify', 'twohead']


def test_a_product_reads_the_outputs_of_its_class_reader_beside_its_two_heads(small_config):
  images = np.random.default_rng(1).integers(0, 256, (3, 75, 75), dtype=np.uint8)
  config = small_config(representation='classify', representation_options={'num_classes': 720})
  classes = readers.Reader(config, jax.tree.map(np.array, build.network(config).init(
      {'params': jax.random.key(7), 'dropout': jax.random.key(8)})), rotations=3)
  hands = _presence_reader(small_config, 9, 0.0)
  product = readers.Product(classes, hands)
  reads = product.outputs(images)
  np.testing.assert_allclose(reads, np.concatenate([classes.outputs(images, 3), hands.outputs(images, 3)], -1))
  assert product.rotations == 3 and product.no_clock_below == 0.6
  np.testing.assert_allclose(product.clock_probability(reads), hands.clock_probability(hands.outputs(images, 3)))
  with pytest.raises(ConfigError, match='a product reads with a class reader and a two-head reader'):
    readers.Product(hands, classes)


def test_rotate_turns_clockwise_about_the_centre():
  image = np.zeros((1, 9, 9), np.float32)
  image[0, 0, 4] = 1  # straight up from the centre
  turned = np.asarray(readers._rotate(jnp.asarray(image), jnp.radians(90.0)))
  assert np.unravel_index(np.argmax(turned[0]), (9, 9)) == (4, 8)  # now straight right: clockwise on screen
  np.testing.assert_allclose(readers._rotate(jnp.asarray(image), jnp.float32(0)), image, atol=1e-6)


def test_a_task1_workdir_is_not_a_reader(tmp_path):
  (tmp_path / 'config.json').write_text('{"experiment": "fashion_mlp", "data": "fashion_mnist", "model": "mlp", '
                                        '"representation": "categorical"}')
  with pytest.raises(ConfigError, match='fashion_mnist run, not a clock reader'):
    readers.from_workdir(str(tmp_path))


def _leaves_equal(one, other):
  return jax.tree.all(jax.tree.map(lambda x, y: np.array_equal(np.asarray(x), np.asarray(y)), one, other))


def test_a_run_started_from_a_reader_starts_from_its_weights(trained, tmp_path):
  """At learning rate 0 the fine-tuned run's parameters are the reader's, not a fresh initialization's."""
  workdir, config, _ = trained
  reader = readers.from_workdir(workdir)
  started = dataclasses.replace(config, init_from=workdir, learning_rate=0.0, seed=5)
  loop.train_and_evaluate(started, str(tmp_path / 'run'), init_variables=readers.initial_variables(workdir, started))
  assert _leaves_equal(readers.from_workdir(str(tmp_path / 'run')).variables['params'], reader.variables['params'])


def test_fresh_head_keeps_the_trunk_of_a_reader_of_another_representation(trained):
  workdir, config, _ = trained
  reader = readers.from_workdir(workdir)
  periodic = dataclasses.replace(config, representation='periodic', representation_options={'hands': True},
                                 init_from=workdir)
  with pytest.raises(ConfigError, match='another representation .* or --fresh_head'):
    readers.initial_variables(workdir, periodic)
  periodic = dataclasses.replace(periodic, fresh_head=True)
  trunk = readers.initial_variables(workdir, periodic)
  head, = set(reader.variables['params']) - set(trunk['params'])
  state = Steps(periodic, steps_per_epoch=1).init_state(trunk)
  first_seed = jax.tree.map(lambda x: x[0], state.params)
  assert first_seed[head]['kernel'].shape == (32, 4)  # the dense layer's width by the periodic hands' 4 outputs
  assert _leaves_equal({k: v for k, v in first_seed.items() if k != head}, trunk['params'])
  with pytest.raises(ConfigError, match='another model_options'):
    readers.initial_variables(workdir, dataclasses.replace(periodic, model_options={'widths': [8, 8, 16, 32]}))
  with pytest.raises(ConfigError, match='names a cascade or product of readers'):
    readers.initial_variables('leiden_own+any_clock', periodic)


def test_the_shipped_reader_reads_the_sample_photos_as_before_its_head_was_named():
  """Its file was converted when the models' last layer became `head` (it was `Dense_1`), not retrained: the times
  and confidences `read_clock tests/data/real-clock-samples --csv` printed at f4592c4, before the rename."""
  reader = readers.load(readers.SHIPPED['leiden'])
  paths = sorted(glob.glob(os.path.join(os.path.dirname(__file__), 'data', 'real-clock-samples', '*.png')))
  outputs = reader.outputs(np.stack([photos.load(path, reader.image_size) for path in paths]), rotations=1)
  assert reader.times(outputs).tolist() == [[0, 58], [7, 28], [3, 26], [5, 47], [8, 18], [2, 7], [5, 31], [5, 43]]
  np.testing.assert_allclose(reader.representation.confidence(outputs),
                             [0.9969, 0.9987, 0.9956, 0.9658, 0.9960, 0.9974, 0.9960, 0.9985], atol=5e-5)


def test_a_saved_reader_keeps_its_view_count_and_one_saved_before_reads_with_one(trained, tmp_path):
  reader = readers.from_workdir(trained[0])
  assert reader.rotations == 1  # a workdir has no chosen count
  reader.rotations = 5
  reader.save(str(tmp_path / 'r.msgpack'))
  assert readers.load(str(tmp_path / 'r.msgpack')).rotations == 5
  settings = json.loads((tmp_path / 'r.json').read_text())
  del settings['rotations']
  (tmp_path / 'r.json').write_text(json.dumps(settings))
  assert readers.load(str(tmp_path / 'r.msgpack')).rotations == 1


def test_the_view_count_is_chosen_by_the_lowest_error_the_fewest_on_a_tie(trained, monkeypatch):
  reader = readers.from_workdir(trained[0])
  errors = {1: 9.0, 3: 7.0, 5: 7.0, 7: 8.0, 9: 7.5}
  monkeypatch.setattr(reader, 'score', lambda images, labels, count: ({'cse_minutes': errors[count]}, None))
  assert readers.choose_rotations(reader, None, None) == (3, errors)


def test_the_no_clock_threshold_calls_the_fewest_validation_pictures_wrongly_and_reads_on_a_tie():
  clocks, empty = np.array([0.9, 0.8, 0.4]), np.array([0.1, 0.3, 0.5])
  assert readers.choose_no_clock_below(clocks, empty) == pytest.approx(0.4)  # one wrong: the empty 0.5
  assert readers.choose_no_clock_below(np.ones(3), np.ones(2)) == 0  # no presence output: never "no clock"


@pytest.fixture(scope='module')
def default_reader():
  """The shipped cascade, opened once: each of its readers compiles on first use."""
  return readers.open_reader('any')


@pytest.mark.parametrize('picture', ['blank', 'noise', 'synthetic non-clock'])
def test_the_default_reader_reads_no_time_where_there_is_no_clock(picture, default_reader):
  reader = default_reader
  pictures = {'blank': lambda: np.full((1, 150, 150), 128, np.uint8),
              'noise': lambda: np.random.default_rng(0).integers(0, 256, (1, 150, 150), dtype=np.uint8),
              'synthetic non-clock': lambda: synthetic.make_no_clocks(4, seed=7, image_size=75)}[picture]()
  assert np.all(reader.clock_probability(reader.outputs(pictures)) < reader.no_clock_below)


def test_the_default_reader_calls_every_real_sample_photo_a_clock(default_reader):
  reader = default_reader
  paths = sorted(glob.glob(os.path.join(os.path.dirname(__file__), 'data', 'real-clock-samples', '*.png')))
  photos_read = np.stack([photos.load(path, reader.image_size) for path in paths])
  assert np.all(reader.clock_probability(reader.outputs(photos_read)) >= reader.no_clock_below)
