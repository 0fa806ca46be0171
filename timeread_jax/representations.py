"""Label representations: how a target is encoded, what the loss is, and how outputs are decoded.

Each representation fixes the width of the model's head (`num_outputs`) and maps raw head outputs to per-example
losses and per-example metrics, and says how each metric sums up over a split and which way is better
(`statistics`): the loop's choice of the best epoch, results.json and the plots all read it from there. Clock labels
are (hour 0-11, minute 0-59) pairs; every clock representation decodes to minutes on the dial so that all of them
are scored by the same common-sense error.
"""
import dataclasses
import math
from typing import Callable, ClassVar, NamedTuple, Protocol

import jax
import jax.numpy as jnp
import numpy as np
import optax

from timeread_jax import dial
from timeread_jax.errors import ConfigError

TAU = 2 * math.pi


class Statistic(NamedTuple):
  """A number that sums up one per-example metric over a split, and which way is better."""
  metric: str
  reduce: Callable[[np.ndarray], float] = np.mean
  higher_is_better: bool = False


_LOSS = {'loss': Statistic('loss')}
_ACCURACY = {'accuracy': Statistic('accuracy', higher_is_better=True)}
# The common-sense error: the mean as the report gives it, the median and 90th percentile beside it (a few readings
# an hour off dominate a mean), and the shares read within 5 and within 1 minute.
_CSE = {'cse_minutes': Statistic('cse_minutes'),
        'cse_median_minutes': Statistic('cse_minutes', np.median),
        'cse_p90_minutes': Statistic('cse_minutes', lambda values: np.percentile(values, 90)),
        'within_5_minutes': Statistic('cse_minutes', lambda values: np.mean(values <= 5), higher_is_better=True),
        'within_1_minute': Statistic('cse_minutes', lambda values: np.mean(values <= 1), higher_is_better=True)}


class Representation(Protocol):
  """What the trainer needs of a representation; all arrays are per example, over a leading batch axis."""
  num_outputs: int  # the width of the model's head
  statistics: ClassVar[dict[str, Statistic]]  # by name: how `metrics` sum up over a split (loss: `statistics()`)
  headline: ClassVar[str]  # the statistic a learning curve shows beside the loss

  def loss(self, outputs: jax.Array, labels: jax.Array) -> jax.Array:
    """(N,) losses of raw head outputs (N, num_outputs) against labels."""

  def metrics(self, outputs: jax.Array, labels: jax.Array) -> dict[str, jax.Array]:
    """Named (N,) metrics, averaged in training and validation (`accuracy`, `cse_minutes`...)."""


class ClockReading(Representation, Protocol):
  """A representation of clock labels (hour, minute), which a reader (readers.py) also decodes."""

  def decode(self, outputs: jax.Array) -> jax.Array:
    """(N,) minutes on the 12-hour dial, 0-720, maybe fractional."""

  def confidence(self, outputs: jax.Array) -> jax.Array:
    """(N,) how sure the reading is, for users' photos: higher is surer (NaN where it cannot say)."""


NO_CLOCK = (-1, -1)  # the label of a picture without a clock (TwoHead(presence=True) learns to say so)


# The metadata of a representation's field that shapes its loss only: readers that differ in such fields alone
# decode their outputs alike (readers.Ensemble averages them).
LOSS_ONLY = {'loss_only': True}


def statistics(representation: Representation) -> dict[str, Statistic]:
  """Every statistic a split of `representation`'s outputs is summed up by, the loss's first."""
  return {**_LOSS, **representation.statistics}


def same_reading(a: ClockReading, b: ClockReading) -> bool:
  """Whether `a` and `b` decode the same outputs into the same times: one kind, alike in every field but LOSS_ONLY."""
  return type(a) is type(b) and all(getattr(a, field.name) == getattr(b, field.name)
                                    for field in dataclasses.fields(a) if not field.metadata.get('loss_only'))


def _cross_entropy(logits, classes):
  return optax.softmax_cross_entropy_with_integer_labels(logits.astype(jnp.float32), classes)


def _clock_metrics(predicted_minutes, labels):
  return {'cse_minutes': dial.common_sense_minutes(predicted_minutes, dial.dial_minutes(labels))}


def _clock_accuracy(clock_probability, labels):
  """Whether each picture was rightly called a clock or not (NO_CLOCK labels), at probability 1/2."""
  return ((clock_probability > 0.5) == (labels[..., 0] >= 0)).astype(jnp.float32)


@dataclasses.dataclass(frozen=True)
class Categorical:
  """Plain n-way classification of integer labels (Fashion-MNIST, CIFAR-10)."""
  num_classes: int = 10
  statistics: ClassVar = _ACCURACY
  headline: ClassVar = 'accuracy'

  @property
  def num_outputs(self):
    return self.num_classes

  def loss(self, outputs, labels):
    return _cross_entropy(outputs, labels)

  def metrics(self, outputs, labels):
    return {'accuracy': (jnp.argmax(outputs, -1) == labels).astype(jnp.float32)}


@dataclasses.dataclass(frozen=True)
class ClockClassify:
  """The dial cut into `num_classes` equal intervals; decoded to the interval's mean minute."""
  num_classes: int = 24
  statistics: ClassVar = {**_ACCURACY, **_CSE}
  headline: ClassVar = 'cse_minutes'

  def __post_init__(self):
    if self.num_classes < 2 or dial.MINUTES_PER_DIAL % self.num_classes:
      raise ConfigError(f'--num_classes must be a divisor of 720 greater than 1 (24: half hours, 720: minutes), '
                        f'not {self.num_classes}')

  @property
  def num_outputs(self):
    return self.num_classes

  @property
  def minutes_per_class(self):
    return dial.MINUTES_PER_DIAL // self.num_classes

  def encode(self, labels):
    return dial.dial_minutes(labels) // self.minutes_per_class

  def decode(self, outputs):
    return jnp.argmax(outputs, -1) * self.minutes_per_class + (self.minutes_per_class - 1) / 2

  def loss(self, outputs, labels):
    return _cross_entropy(outputs, self.encode(labels))

  def confidence(self, outputs):
    """The winning class's probability."""
    return jnp.max(jax.nn.softmax(outputs.astype(jnp.float32), -1), -1)

  def metrics(self, outputs, labels):
    accuracy = (jnp.argmax(outputs, -1) == self.encode(labels)).astype(jnp.float32)
    return {'accuracy': accuracy, **_clock_metrics(self.decode(outputs), labels)}


@dataclasses.dataclass(frozen=True)
class Regress:
  """Fractional hours (hour + minute/60) from one softplus output, as in the report.

  `cyclic=True` measures the error the short way around the dial, so 11:59 and 12:01 are close.
  """
  cyclic: bool = dataclasses.field(default=False, metadata=LOSS_ONLY)
  num_outputs: ClassVar = 1
  statistics: ClassVar = _CSE
  headline: ClassVar = 'cse_minutes'

  def _hours(self, outputs):
    return jax.nn.softplus(outputs[..., 0].astype(jnp.float32))

  def decode(self, outputs):
    return (self._hours(outputs) * 60) % dial.MINUTES_PER_DIAL

  def loss(self, outputs, labels):
    error = self._hours(outputs) - dial.dial_minutes(labels) / 60
    if self.cyclic:
      error = (error + 6) % 12 - 6
    return error ** 2

  def confidence(self, outputs):
    """None to give: one regressed number says nothing of its own certainty (NaN)."""
    return jnp.full(outputs.shape[:-1], jnp.nan)

  def metrics(self, outputs, labels):
    return _clock_metrics(self.decode(outputs), labels)


def _unit_circle(fraction):
  angle = TAU * fraction
  return jnp.stack([jnp.sin(angle), jnp.cos(angle)], -1)


def _circle_fraction(sin_cos):
  return (jnp.arctan2(sin_cos[..., 0], sin_cos[..., 1]) / TAU) % 1.0


def _read_against_minute(position, minute):
  """Minutes on the dial from a rough hour-hand position `position` (0-720) and the minute hand's `minute` (0-60): the
  hour that puts the hour hand nearest `dial`, so `dial` may be off by up to half an hour and decode exactly (a
  tie, to within rounding, goes to the earlier hour).
  """
  return (jnp.round((position - minute) / 60 - 1e-3) % 12) * 60 + minute


HOUR_EDGE_BLUR = 0.2  # hours: chosen on synthetic validation (generator 5), flat from 0.15 to 0.25


def _hour_against_minute(hour_probabilities, minute):
  """The hour (N,) that the hour softmax (N, 12) and the minute (N,) agree on best.

  Hour k puts the hour hand at k + minute/60 on the dial; the softmax says in which hour's interval the hand lies.
  A candidate scores the softmax's mass at its hand position, each interval's edges blurred by HOUR_EDGE_BLUR: at
  mid-hour that is the argmax, and near the hour, where the hand lies at the edge between two intervals, mass on
  either counts for the candidate the minute puts there. A tie (the softmax sure of hour h, the minute hand at 12
  to within rounding) goes to the earlier hour: the hand of h:00 is where hour h begins.
  """
  labels = jnp.arange(12)
  offsets = (labels[:, None] - labels[None, :] + 6) % 12 - 6  # candidate k's hour minus the softmax's label h
  into_interval = offsets + minute[..., None, None] / 60 + 1e-3  # (N, k, h)
  mass = (jax.scipy.special.ndtr((1 - into_interval) / HOUR_EDGE_BLUR)
          - jax.scipy.special.ndtr(-into_interval / HOUR_EDGE_BLUR))
  return jnp.argmax(jnp.einsum('nkh,nh->nk', mass, hour_probabilities), -1)


@dataclasses.dataclass(frozen=True)
class TwoHead:
  """Two heads on one trunk: a 12-way hour softmax, and the minute.

  `minute='sincos'` (ours): the minute hand's (sin, cos), so the minute has no seam at the hour, and an hour that
  agrees with the minute hand (`_hour_against_minute`): near the hour, where the softmax hesitates between two
  hours, the minute decides which (better on synthetic validation than the softmax read as a position and rounded
  against the minute, which loses a third of an hour's margin at x:10 and x:50: docs/results.md).
  `minute='regress'` (the report's): minute/60 regressed by a softplus unit with MSE, and the softmax's argmax.
  `presence=True`: one more output, the logit that the picture shows a clock at all, trained on pictures without
  one (labelled NO_CLOCK; their time costs nothing), so that a reader can say "no clock" rather than a time.
  """
  minute: str = 'sincos'
  presence: bool = False
  headline: ClassVar = 'cse_minutes'

  def __post_init__(self):
    if self.minute not in ('sincos', 'regress'):
      raise ConfigError(f"--minute must be 'sincos' or 'regress', not {self.minute!r}")

  @property
  def num_outputs(self):
    return (14 if self.minute == 'sincos' else 13) + self.presence

  @property
  def statistics(self):
    presence = {'clock_accuracy': Statistic('clock_accuracy', higher_is_better=True)} if self.presence else {}
    return {'hour_accuracy': Statistic('hour_accuracy', higher_is_better=True), **_CSE, **presence}

  def clock_probability(self, outputs):
    """(N,) how likely each picture shows a clock (1 for a reader without a presence output)."""
    if not self.presence:
      return jnp.ones(outputs.shape[:-1], jnp.float32)
    return jax.nn.sigmoid(outputs[..., -1].astype(jnp.float32))

  def decode(self, outputs):
    hour_logits = outputs[..., :12].astype(jnp.float32)
    if self.minute == 'regress':
      minute = jnp.clip(jax.nn.softplus(outputs[..., 12].astype(jnp.float32)) * 60, 0, 59)
      return jnp.argmax(hour_logits, -1) * 60 + minute
    minute = _circle_fraction(outputs[..., 12:14].astype(jnp.float32)) * 60
    return _hour_against_minute(jax.nn.softmax(hour_logits), minute) * 60 + minute

  def loss(self, outputs, labels):
    clock = labels[..., 0] >= 0
    labels = jnp.maximum(labels, 0)  # a picture without a clock (NO_CLOCK) is read as 0:00, at no cost below
    hour_loss = _cross_entropy(outputs[..., :12], labels[..., 0])
    if self.minute == 'regress':
      time_loss = hour_loss + (jax.nn.softplus(outputs[..., 12].astype(jnp.float32)) - labels[..., 1] / 60) ** 2
    else:
      minute_target = _unit_circle(labels[..., 1] / 60)
      time_loss = hour_loss + jnp.sum((outputs[..., 12:14].astype(jnp.float32) - minute_target) ** 2, -1)
    if not self.presence:
      return time_loss
    presence_loss = optax.sigmoid_binary_cross_entropy(outputs[..., -1].astype(jnp.float32), clock.astype(jnp.float32))
    return presence_loss + jnp.where(clock, time_loss, 0.0)

  def confidence(self, outputs):
    """The hour softmax's probability of the decoded hour."""
    hour = jnp.floor(self.decode(outputs) / 60).astype(jnp.int32)
    probabilities = jax.nn.softmax(outputs[..., :12].astype(jnp.float32), -1)
    return jnp.take_along_axis(probabilities, hour[..., None], -1)[..., 0]

  def metrics(self, outputs, labels):
    """`hour_accuracy`: the decoded hour, which for `sincos` is the one that agrees with the minute. With
    `presence`, `clock_accuracy`: whether the picture was rightly called a clock or not (at probability 1/2); a
    picture without one counts as read right in the others, so training's means of those include them."""
    decoded = self.decode(outputs)
    clock = labels[..., 0] >= 0
    hour_accuracy = (jnp.floor(decoded / 60) == labels[..., 0]).astype(jnp.float32)
    measured = {'hour_accuracy': hour_accuracy, **_clock_metrics(decoded, labels)}
    if not self.presence:
      return measured
    measured = {name: jnp.where(clock, value, name != 'cse_minutes') for name, value in measured.items()}
    return {**measured, 'clock_accuracy': _clock_accuracy(self.clock_probability(outputs), labels)}


@dataclasses.dataclass(frozen=True)
class Periodic:
  """Targets on the unit circle, decoded with atan2, so the loss has no seam at 12:00.

  `hands=False`: one (sin, cos) pair for the position on the 12-hour dial.
  `hands=True`: a pair for each hand; the minute hand gives the minute, and the hour hand, read
  against it, picks the hour (it may be off by up to half an hour and still decode exactly).
  `hour_weight` scales the hour hand's squared error against the minute hand's. The decode forgives the hour hand
  any error below 15 degrees and costs a whole hour past it, where the squared error of a unit vector is still only
  0.07; every degree of the minute hand's costs a sixth of a minute.
  `distance=True`: each pair's loss is its Euclidean distance from the target, not the square of it, so the pull on
  a hand does not fade as it closes in (at 10 degrees off it is 3 times the square's).
  """
  hands: bool = False
  hour_weight: float = dataclasses.field(default=1.0, metadata=LOSS_ONLY)
  distance: bool = dataclasses.field(default=False, metadata=LOSS_ONLY)
  statistics: ClassVar = _CSE
  headline: ClassVar = 'cse_minutes'

  def __post_init__(self):
    if self.hour_weight <= 0:
      raise ConfigError(f'--hour_weight must be positive, not {self.hour_weight}')
    if self.hour_weight != 1 and not self.hands:
      raise ConfigError('--hour_weight weighs the hour hand against the minute hand: give --hands too')

  @property
  def num_outputs(self):
    return 4 if self.hands else 2

  def encode(self, labels):
    position = dial.dial_minutes(labels) / dial.MINUTES_PER_DIAL
    if not self.hands:
      return _unit_circle(position)
    return jnp.concatenate([_unit_circle(position), _unit_circle(labels[..., 1] / 60)], -1)

  def decode(self, outputs):
    outputs = outputs.astype(jnp.float32)
    position = _circle_fraction(outputs[..., :2]) * dial.MINUTES_PER_DIAL
    if not self.hands:
      return position
    return _read_against_minute(position, _circle_fraction(outputs[..., 2:]) * 60)

  def loss(self, outputs, labels):
    squared = (outputs.astype(jnp.float32) - self.encode(labels)) ** 2
    errors = jnp.sum(squared.reshape(*squared.shape[:-1], -1, 2), -1)  # (N, pairs)
    if self.distance:
      errors = jnp.sqrt(errors + 1e-12)  # the epsilon keeps the gradient finite at a perfect reading
    return self.hour_weight * errors[..., 0] + jnp.sum(errors[..., 1:], -1)

  def confidence(self, outputs):
    """The length of the predicted (sin, cos) vector, which training pulls to 1 where the reading is sure (for
    hands, the shorter of the two)."""
    lengths = jnp.linalg.norm(outputs.astype(jnp.float32).reshape(*outputs.shape[:-1], -1, 2), axis=-1)
    return jnp.min(lengths, -1)

  def metrics(self, outputs, labels):
    return _clock_metrics(self.decode(outputs), labels)


def clock_probability(representation: ClockReading, outputs: jax.Array) -> jax.Array:
  """(N,) how likely each picture shows a clock: a presence output's, else 1."""
  if not getattr(representation, 'presence', False):
    return jnp.ones(outputs.shape[:-1], jnp.float32)
  return representation.clock_probability(outputs)


# Readings of several outputs side by side: of two readers (readers.Product, readers.Cascade), or of one trunk's
# heads (clock_product trains a Product).

@dataclasses.dataclass(frozen=True)
class Product:
  """A class reading and a two-head reading multiplied over the 720 minutes of the dial: each minute scores the
  classes' log-probability, plus `hour_weight` times the hour softmax's of its hour and `minute_weight` times the
  cosine between it and the two heads' minute hand; the best score is the reading. The classes read the minute
  exactly where they see the hands, the hour head misses the hour less often (docs/results.md). Outputs: the
  classes' then the two heads', of two readers or of one trunk's three heads; the loss is the sum of theirs (a
  picture without a clock costs the classes nothing), the clock probability the two heads'. The weights were
  chosen on a synthetic validation render of every design (docs/results.md, "Classes times two heads").
  """
  classes: ClockClassify
  hands: TwoHead
  hour_weight: float = 3.0
  minute_weight: float = 0.5
  headline: ClassVar = 'cse_minutes'

  def __post_init__(self):
    if not isinstance(self.classes, ClockClassify) or not isinstance(self.hands, TwoHead) or \
        self.hands.minute != 'sincos':
      raise ConfigError(f'a product reads with a class reader and a two-head reader of the minute hand\'s (sin, '
                        f'cos), not {self.classes} and {self.hands}')

  @property
  def num_outputs(self):
    return self.classes.num_outputs + self.hands.num_outputs

  @property
  def presence(self):
    return self.hands.presence

  @property
  def statistics(self):
    return {**_CSE, **{name: value for name, value in self.hands.statistics.items() if name == 'clock_accuracy'}}

  def _split(self, outputs):
    return outputs[..., :self.classes.num_outputs], outputs[..., self.classes.num_outputs:]

  def scores(self, outputs):
    """(N, 720) each minute of the dial's score."""
    classes, hands = self._split(outputs.astype(jnp.float32))
    minutes = jnp.arange(dial.MINUTES_PER_DIAL)
    hand = _circle_fraction(hands[..., 12:14]) * 60
    return (jax.nn.log_softmax(classes, -1)[..., minutes // self.classes.minutes_per_class]
            + self.hour_weight * jax.nn.log_softmax(hands[..., :12], -1)[..., minutes // 60]
            + self.minute_weight * jnp.cos(TAU * (minutes % 60 - hand[..., None]) / 60))

  def decode(self, outputs):
    return jnp.argmax(self.scores(outputs), -1).astype(jnp.float32)

  def confidence(self, outputs):
    """The reading's share of the scores' softmax."""
    return jnp.max(jax.nn.softmax(self.scores(outputs), -1), -1)

  def clock_probability(self, outputs):
    return self.hands.clock_probability(self._split(outputs)[1])

  def loss(self, outputs, labels):
    classes, hands = self._split(outputs)
    clock = labels[..., 0] >= 0
    return jnp.where(clock, self.classes.loss(classes, jnp.maximum(labels, 0)), 0.0) + self.hands.loss(hands, labels)

  def metrics(self, outputs, labels):
    """As the two heads' (TwoHead.metrics): a picture without a clock is read right in `cse_minutes`, and with
    `presence`, `clock_accuracy` says whether each picture was rightly called a clock or not."""
    clock = labels[..., 0] >= 0
    measured = {'cse_minutes': jnp.where(clock, _clock_metrics(self.decode(outputs), labels)['cse_minutes'], 0.0)}
    if self.presence:
      measured['clock_accuracy'] = _clock_accuracy(self.clock_probability(outputs), labels)
    return measured


def _product(num_classes: int = 720, presence: bool = False) -> Product:
  """The product of one trunk's heads: `num_classes` over the dial, and two heads (with `presence`)."""
  return Product(ClockClassify(num_classes), TwoHead(presence=presence))


@dataclasses.dataclass(frozen=True)
class Either:
  """One of two readings for each picture: outputs the first's, then the second's, then a flag, positive where the
  second reads the picture (a cascade's readers: its own clock's, and the next one's for every other picture)."""
  first: ClockReading
  second: ClockReading
  statistics: ClassVar = _CSE
  headline: ClassVar = 'cse_minutes'

  @property
  def num_outputs(self):
    return self.first.num_outputs + self.second.num_outputs + 1

  @property
  def presence(self):
    return getattr(self.first, 'presence', False) or getattr(self.second, 'presence', False)

  def _pick(self, outputs, read):
    size = self.first.num_outputs
    first, second = outputs[..., :size], outputs[..., size:-1]
    return jnp.where(outputs[..., -1] > 0, read(self.second, second), read(self.first, first))

  def decode(self, outputs):
    return self._pick(outputs, lambda representation, part: representation.decode(part).astype(jnp.float32))

  def confidence(self, outputs):
    return self._pick(outputs, lambda representation, part: representation.confidence(part))

  def clock_probability(self, outputs):
    return self._pick(outputs, clock_probability)

  def loss(self, outputs, labels):
    return self._pick(outputs, lambda representation, part: representation.loss(part, labels))

  def metrics(self, outputs, labels):
    return _clock_metrics(self.decode(outputs), labels)


REPRESENTATIONS = {
    'categorical': Categorical,
    'classify': ClockClassify,
    'regress': Regress,
    'twohead': TwoHead,
    'periodic': Periodic,
    'product': _product,
}


def build(name: str, **options) -> Representation:
  """The representation called `name` with its options, e.g. build('classify', num_classes=720)."""
  if name not in REPRESENTATIONS:
    raise ConfigError(f'unknown representation {name!r}: use {", ".join(REPRESENTATIONS)}')
  return REPRESENTATIONS[name](**options)
