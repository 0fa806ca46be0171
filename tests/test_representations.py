"""Each clock representation's decoder inverts its encoder: a perfect output decodes to the true time."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from timeread_jax import dial
from timeread_jax import representations
from timeread_jax.errors import ConfigError

ALL_TIMES = np.stack(np.divmod(np.arange(720), 60), -1)  # every minute of the dial as (hour, minute)


def _inverse_softplus(y):
  return np.log(np.expm1(y))


def _perfect_outputs(representation, labels):
  """The head outputs a perfect model would give for `labels`."""
  minutes = dial.dial_minutes(labels)
  if isinstance(representation, representations.Product):
    return np.concatenate([_perfect_outputs(part, labels) for part in (representation.classes, representation.hands)],
                          -1)
  if isinstance(representation, representations.ClockClassify):
    return jax.nn.one_hot(representation.encode(labels), representation.num_classes) * 10
  if isinstance(representation, representations.Regress):
    return _inverse_softplus(np.maximum(minutes / 60, 1e-4))[:, None]
  if isinstance(representation, representations.TwoHead):
    hour = jax.nn.one_hot(labels[:, 0], 12) * 10
    if representation.minute == 'regress':
      return np.concatenate([hour, _inverse_softplus(np.maximum(labels[:, 1] / 60, 1e-4))[:, None]], -1)
    return np.concatenate([hour, representations._unit_circle(labels[:, 1] / 60)], -1)
  return representation.encode(labels)


@pytest.mark.parametrize('representation, tolerance', [
    (representations.ClockClassify(720), 0),
    (representations.ClockClassify(24), 15),  # half-hour classes: at most half a class off
    (representations.ClockClassify(12), 30),
    (representations.Regress(), 0.01),
    (representations.Regress(cyclic=True), 0.01),
    (representations.TwoHead(), 0.01),
    (representations.TwoHead(minute='regress'), 0.01),
    (representations.Periodic(), 0.01),
    (representations.Periodic(hands=True), 0.01),
    (representations.build('product'), 0),
])
def test_decode_inverts_a_perfect_output(representation, tolerance):
  outputs = jnp.asarray(_perfect_outputs(representation, ALL_TIMES), jnp.float32)
  assert outputs.shape == (720, representation.num_outputs)
  cse = representation.metrics(outputs, ALL_TIMES)['cse_minutes']
  assert float(jnp.max(cse)) <= tolerance + 1e-3
  if isinstance(representation, representations.ClockClassify):
    assert float(jnp.mean(representation.metrics(outputs, ALL_TIMES)['accuracy'])) == 1.0


def test_classify_class_centres_minimise_the_error():
  representation = representations.ClockClassify(24)
  labels = np.array([[0, 0], [0, 29], [0, 30], [11, 59]])
  np.testing.assert_array_equal(representation.encode(labels), [0, 0, 1, 23])
  np.testing.assert_allclose(representation.decode(jax.nn.one_hot(representation.encode(labels), 24)),
                             [14.5, 14.5, 44.5, 704.5])


@pytest.mark.parametrize('num_classes', [0, 1, 7, 721])
def test_classify_rejects_non_divisors(num_classes):
  with pytest.raises(ValueError, match='divisor of 720'):
    representations.ClockClassify(num_classes)


def test_cyclic_regression_has_no_seam_at_twelve():
  labels = np.array([[11, 59]])
  just_past_twelve = _inverse_softplus(np.array([[1 / 60]]))  # predicts 12:01
  plain = representations.Regress().loss(just_past_twelve, labels)
  cyclic = representations.Regress(cyclic=True).loss(just_past_twelve, labels)
  assert float(plain[0]) > 100  # (0.0167 - 11.98)^2
  assert float(cyclic[0]) == pytest.approx((2 / 60) ** 2, rel=1e-3)


def test_periodic_hands_corrects_an_hour_hand_that_is_off_by_twenty_minutes():
  representation = representations.Periodic(hands=True)
  labels = np.array([[2, 55], [3, 5]])
  outputs = np.array(representation.encode(labels))
  # Move the hour hand 20 minutes of dial the wrong way for each: the minute hand still pins the hour.
  for row, shift in ((0, 20), (1, -20)):
    angle = 2 * np.pi * (dial.dial_minutes(labels[row]) + shift) / 720
    outputs[row, :2] = np.sin(angle), np.cos(angle)
  np.testing.assert_allclose(representation.decode(outputs), [175, 185], atol=1e-3)


def test_periodic_hour_weight_scales_the_hour_hands_error_alone():
  labels = np.array([[2, 55], [3, 5]])
  plain, weighted = representations.Periodic(hands=True), representations.Periodic(hands=True, hour_weight=4.0)
  hour_off = np.array(plain.encode(labels)) + np.array([0.1, -0.2, 0, 0])
  minute_off = np.array(plain.encode(labels)) + np.array([0, 0, 0.1, -0.2])
  np.testing.assert_allclose(weighted.loss(hour_off, labels), 4 * plain.loss(hour_off, labels), rtol=1e-6)
  np.testing.assert_allclose(weighted.loss(minute_off, labels), plain.loss(minute_off, labels), rtol=1e-6)
  for options in ({'hour_weight': 2.0}, {'hands': True, 'hour_weight': 0.0}):
    with pytest.raises(ValueError, match='hour_weight'):
      representations.Periodic(**options)


@pytest.mark.parametrize('one, other', [
    (representations.Periodic(hands=True), representations.Periodic(hands=True, hour_weight=4.0, distance=True)),
    (representations.Regress(), representations.Regress(cyclic=True)),
])
def test_representations_that_differ_in_their_loss_alone_read_alike(one, other):
  assert representations.same_reading(one, other) and one != other
  outputs = np.random.default_rng(0).normal(size=(50, one.num_outputs)).astype(np.float32)
  np.testing.assert_array_equal(one.decode(outputs), other.decode(outputs))


@pytest.mark.parametrize('one, other', [
    (representations.Periodic(), representations.Periodic(hands=True)),
    (representations.TwoHead(), representations.TwoHead(minute='regress')),
    (representations.ClockClassify(24), representations.ClockClassify(720)),
    (representations.TwoHead(), representations.Periodic(hands=True)),
])
def test_representations_that_decode_differently_do_not_read_alike(one, other):
  assert not representations.same_reading(one, other)


def test_periodic_distance_loss_is_each_pairs_distance_and_pulls_as_hard_near_the_target():
  labels = np.array([[2, 55], [3, 5]])
  squared, distance = representations.Periodic(hands=True), representations.Periodic(hands=True, distance=True)
  targets = np.array(squared.encode(labels))
  for offset in ([0.3, -0.4, 0, 0], [0, 0, 0.3, -0.4]):  # one hand 0.5 off, the other right
    np.testing.assert_allclose(distance.loss(targets + np.array(offset), labels), [0.5, 0.5], rtol=1e-5)
  weighted = representations.Periodic(hands=True, hour_weight=4.0, distance=True)
  np.testing.assert_allclose(weighted.loss(targets + np.array([0.3, -0.4, 0.3, -0.4]), labels), [2.5, 2.5], rtol=1e-5)

  def pull(representation, step):  # the loss gradient's size with the hour hand `step` off along sin
    outputs = targets + np.array([step, 0, 0, 0])
    return float(jnp.linalg.norm(jax.grad(lambda o: representation.loss(o, labels).sum())(jnp.asarray(outputs))[0]))
  assert pull(distance, 0.01) == pytest.approx(pull(distance, 0.3), rel=1e-3)  # the square's falls 30 times
  assert pull(squared, 0.3) == pytest.approx(30 * pull(squared, 0.01), rel=1e-3)
  at_target = jax.grad(lambda o: distance.loss(o, labels).sum())(jnp.asarray(targets))
  assert np.all(np.isfinite(at_target)) and float(jnp.max(distance.loss(targets, labels))) < 1e-5


def test_losses_are_per_example_and_zero_when_perfect():
  for representation in (representations.Periodic(), representations.Periodic(hands=True)):
    losses = representation.loss(representation.encode(ALL_TIMES), ALL_TIMES)
    assert losses.shape == (720,)
    assert float(jnp.max(losses)) < 1e-10


def test_categorical_accuracy():
  representation = representations.build('categorical', num_classes=3)
  outputs = jnp.array([[5.0, 0, 0], [0, 5.0, 0]])
  np.testing.assert_array_equal(representation.metrics(outputs, jnp.array([0, 2]))['accuracy'], [1, 0])
  assert representation.loss(outputs, jnp.array([0, 1])).shape == (2,)


def _twohead_outputs(hour_probabilities, minutes):
  """Two-head outputs whose softmax is `hour_probabilities` (N, 12) and whose minute hand reads `minutes`."""
  logits = np.log(np.maximum(hour_probabilities, 1e-9))
  return jnp.asarray(np.concatenate([logits, representations._unit_circle(np.asarray(minutes) / 60)], -1),
                     jnp.float32)


def test_two_heads_agree_at_every_minute_when_the_hour_softmax_hesitates_between_neighbours():
  """Near the hour the hour hand lies between two numerals: a softmax split between the two hours, either way,
  still decodes to the true time, because the minute hand says which of the two it is."""
  representation = representations.TwoHead()
  hours, minutes = ALL_TIMES[:, 0], ALL_TIMES[:, 1]
  for neighbour_share in (0.0, 0.3, 0.49):  # at 0.5 and x:30 the two are equally likely
    probabilities = np.zeros((720, 12))
    neighbour = np.where(minutes < 30, hours - 1, hours + 1) % 12  # the numeral the hour hand is nearest to
    probabilities[np.arange(720), hours] = 1 - neighbour_share
    probabilities[np.arange(720), neighbour] += neighbour_share
    decoded = representation.decode(_twohead_outputs(probabilities, minutes))
    np.testing.assert_allclose(decoded, dial.dial_minutes(ALL_TIMES), atol=1e-3)


def test_two_heads_read_the_softmax_s_hour_away_from_the_hour():
  """At x:10 and x:50 the hour hand is well inside its hour: a softmax that leans 70/30 to the hour on the far side
  still reads as its likelier hour (read as a position at the hours' middles, it tipped to the other)."""
  representation = representations.TwoHead()
  probabilities = np.zeros((2, 12))
  probabilities[[0, 1], [4, 4]] = 0.7
  probabilities[[0, 1], [5, 3]] = 0.3
  decoded = representation.decode(_twohead_outputs(probabilities, [10, 50]))
  np.testing.assert_allclose(decoded, [250, 290], atol=1e-3)


def test_two_heads_wrap_at_twelve():
  representation = representations.TwoHead()
  probabilities = np.zeros((4, 12))
  probabilities[[0, 1, 2, 3], [11, 0, 11, 0]] = 0.5
  probabilities[[0, 1, 2, 3], [0, 11, 0, 11]] = 0.5  # torn between 11 and 12 o'clock
  # 11:59 and 12:01, and the minute hand just either side of 12 read as 59.8 and 0.2.
  decoded = representation.decode(_twohead_outputs(probabilities, [59, 1, 59.8, 0.2]))
  np.testing.assert_allclose(decoded, [719, 1, 719.8, 0.2], atol=1e-3)
  cse = representation.metrics(_twohead_outputs(probabilities, [59, 1, 59.8, 0.2]),
                               np.array([[11, 59], [0, 1], [0, 0], [0, 0]]))['cse_minutes']
  np.testing.assert_allclose(cse, [0, 0, 0.2, 0.2], atol=1e-3)


def test_report_two_heads_read_the_argmax_and_the_regressed_minute():
  representation = representations.TwoHead(minute='regress')
  assert representation.num_outputs == 13
  outputs = np.zeros((1, 13))
  outputs[0, 4] = 5
  outputs[0, 12] = _inverse_softplus(0.5)
  np.testing.assert_allclose(representation.decode(jnp.asarray(outputs)), [270], atol=1e-3)
  with pytest.raises(ValueError, match='sincos'):
    representations.TwoHead(minute='classes')


def test_a_presence_output_learns_a_clock_from_none_and_a_picture_without_one_costs_no_time():
  plain, present = representations.TwoHead(), representations.TwoHead(presence=True)
  assert present.num_outputs == plain.num_outputs + 1
  labels = jnp.array([[3, 40], list(representations.NO_CLOCK)])
  time_outputs = jnp.asarray(np.random.default_rng(0).normal(size=(2, 14)), jnp.float32)
  sure_clock, sure_none = (jnp.concatenate([time_outputs, jnp.full((2, 1), logit)], -1) for logit in (30.0, -30.0))
  # A clock called a clock costs its time loss alone; a picture without one called so costs nothing.
  np.testing.assert_allclose(present.loss(sure_clock, labels)[0], plain.loss(time_outputs, labels)[0], rtol=1e-5)
  assert float(present.loss(sure_none, labels)[1]) < 1e-6
  assert float(present.loss(sure_clock, labels)[1]) > 10  # ... and called a clock, the presence loss alone
  np.testing.assert_allclose(present.clock_probability(sure_clock), [1, 1], atol=1e-6)
  metrics = present.metrics(sure_none, labels)
  assert metrics['clock_accuracy'].tolist() == [0, 1]
  assert float(metrics['cse_minutes'][1]) == 0 and float(metrics['hour_accuracy'][1]) == 1
  np.testing.assert_allclose(present.decode(sure_clock), plain.decode(time_outputs))  # the time reads alike
  assert 'clock_accuracy' in representations.statistics(present)
  assert 'clock_accuracy' not in representations.statistics(plain)


def test_a_product_reads_the_minute_of_the_classes_in_the_hour_of_the_two_heads():
  """Classes torn between 2:05 and 8:05 read 2:05 when the hour head says 2; sure classes read their minute where
  the minute hand is a little off; where the classes are flat, the two heads read alone."""
  product = representations.Product(representations.ClockClassify(720), representations.TwoHead())
  classes = np.full((3, 720), -20.0)
  classes[0, [125, 485]] = 5.0  # 2:05 or 8:05
  classes[1, 125] = 10.0
  classes[2] = 0.0
  hours = np.full((3, 12), 0.01)
  hours[:, 2] = 0.89
  outputs = jnp.concatenate([jnp.asarray(classes, jnp.float32), _twohead_outputs(hours, [5, 7, 40])], -1)
  assert product.num_outputs == 720 + 14 and not product.presence
  np.testing.assert_array_equal(product.decode(outputs), [125, 125, 160])
  assert float(product.confidence(outputs)[1]) > 0.99
  labels = jnp.array([[2, 5], [2, 5], [2, 40]])
  np.testing.assert_allclose(product.loss(outputs, labels), representations.ClockClassify(720).loss(
      outputs[:, :720], labels) + representations.TwoHead().loss(outputs[:, 720:], labels), rtol=1e-6)
  with pytest.raises(ConfigError, match='a class reader and a two-head reader'):
    representations.Product(representations.TwoHead(), representations.ClockClassify(720))


def test_either_reads_each_picture_with_the_reading_its_flag_names():
  either = representations.Either(representations.TwoHead(presence=True), representations.ClockClassify(720))
  hours = np.full((2, 12), 0.01)
  hours[:, 4] = 0.89
  first = jnp.concatenate([_twohead_outputs(hours, [30, 30]), jnp.array([[-30.0], [-30.0]])], -1)
  second = jax.nn.one_hot(jnp.array([100, 100]), 720) * 20
  outputs = jnp.concatenate([first, second, jnp.array([[0.0], [1.0]])], -1)
  np.testing.assert_allclose(either.decode(outputs), [270, 100], atol=1e-3)
  np.testing.assert_allclose(either.clock_probability(outputs), [0, 1], atol=1e-6)
  assert either.presence and either.num_outputs == 15 + 720 + 1


def test_a_product_trained_on_a_picture_without_a_clock_learns_only_that_there_is_none():
  product = representations.build('product', presence=True)
  assert product == representations.Product(representations.ClockClassify(720), representations.TwoHead(presence=True))
  outputs = jnp.asarray(np.random.default_rng(2).normal(size=(2, product.num_outputs)), jnp.float32)
  labels = jnp.array([[3, 40], list(representations.NO_CLOCK)])
  hands = representations.TwoHead(presence=True)
  np.testing.assert_allclose(product.loss(outputs, labels), [
      float(representations.ClockClassify(720).loss(outputs[:1, :720], labels[:1])[0]
            + hands.loss(outputs[:1, 720:], labels[:1])[0]),
      float(hands.loss(outputs[1:, 720:], labels[1:])[0])], rtol=1e-5)
  metrics = product.metrics(outputs, labels)
  assert float(metrics['cse_minutes'][1]) == 0 and set(metrics) == {'cse_minutes', 'clock_accuracy'}
  assert set(representations.statistics(product)) >= {'loss', 'cse_minutes', 'within_5_minutes', 'clock_accuracy'}
