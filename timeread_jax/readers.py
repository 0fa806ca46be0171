"""A trained clock reader: a run's config and one seed's weights, to read the time off pictures.

Restored from a training workdir's best checkpoint, or from a single file (`save`/`load`: flax msgpack with the
config beside it as JSON), which is how a reader ships with the project. The time of a clock does not change when
the picture turns, so `outputs` can average the reader over a few small rotations of each picture (test-time
augmentation), and an `Ensemble` averages several readers: independently trained readers misread different clocks.
"""
import dataclasses
import functools
import json
import os

import flax.serialization
import jax
import jax.numpy as jnp
import numpy as np

from timeread_jax import build
from timeread_jax import checkpoints
from timeread_jax import config as config_lib
from timeread_jax import files
from timeread_jax import pictures
from timeread_jax import representations
from timeread_jax import results
from timeread_jax.config import Config
from timeread_jax.errors import ConfigError

# The readers that ship with the project, by name (each .json beside it says how it was trained): the Leiden wall
# clock's, two for any analog clock (two heads, and 720 classes), and the Leiden reader that knows its own clock;
# 'any', the default, is the cascade of them, whose any-clock reader is the product of the two.
_PRETRAINED = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'pretrained')
SHIPPED = {'leiden': os.path.join(_PRETRAINED, 'clock_reader.msgpack'),
           'any_clock': os.path.join(_PRETRAINED, 'any_clock_reader.msgpack'),
           'any_classes': os.path.join(_PRETRAINED, 'any_classes_reader.msgpack'),
           'leiden_own': os.path.join(_PRETRAINED, 'leiden_own_reader.msgpack'),
           'any': 'leiden_own:leiden+any_classes*any_clock'}
BATCH_SIZE = 250
ROTATION_STEP_DEGREES = 6  # test-time rotations: 0, then +-6, +-12... degrees


class _Reading:
  """What a reader does with its raw outputs, given `outputs(images, rotations)` and `representation`."""

  def clock_probability(self, outputs: np.ndarray) -> np.ndarray:
    """(N,) how likely each picture shows a clock: a presence output's (TwoHead(presence=True)), else 1."""
    return np.asarray(representations.clock_probability(self.representation, jnp.asarray(outputs)))

  def times(self, outputs: np.ndarray) -> np.ndarray:
    """Raw outputs -> int (N, 2) (hour, minute), rounded to the nearest minute of the dial."""
    minutes = np.round(np.asarray(self.representation.decode(jnp.asarray(outputs)))).astype(np.int64) % 720
    return np.stack([minutes // 60, minutes % 60], -1)

  def score(self, images: np.ndarray, labels: np.ndarray, rotations: int | None = None) -> tuple[dict, np.ndarray]:
    """(the summary of results.summarize: loss, CSE mean, median, shares within 5 and 1 minute...; the readings
    (N, 2)) on labelled pictures, with `rotations` views (None: the reader's own count)."""
    outputs = self.outputs(images, rotations)
    labels = jnp.asarray(labels, jnp.int32)
    per_example = {'loss': self.representation.loss(jnp.asarray(outputs), labels),
                   **self.representation.metrics(jnp.asarray(outputs), labels)}
    return (results.summarize({k: np.asarray(v) for k, v in per_example.items()},
                              representations.statistics(self.representation)), self.times(outputs))


class Reader(_Reading):
  """A clock reader's model, representation and weights (`variables`: params and batch_stats of one seed)."""

  def __init__(self, config: Config, variables: dict, rotations: int = 1, no_clock_below: float = 0.5):
    if config.data != 'clocks':
      raise ConfigError(f'a {config.data} classifier is not a clock reader')
    self.config = config
    self.variables = variables
    # Its settings, chosen on validation (export_reader): the views it reads with unless told otherwise, and the
    # clock probability below which a picture shows no clock.
    self.rotations = rotations
    self.no_clock_below = no_clock_below
    network = build.network(config)
    self.model, self.representation = network.model, network.representation

  @property
  def image_size(self) -> int:
    return self.config.image_size

  def outputs(self, images: np.ndarray, rotations: int | None = None) -> np.ndarray:
    """Raw head outputs float32 (N, num_outputs) for uint8 pictures (N, S, S) of any size S (made the reader's
    size and stretched, `pictures.reader_pictures`), the mean over `rotations` views turned by 0, +-6, +-12...
    degrees."""
    images = pictures.reader_pictures(np.asarray(images, np.uint8), self.image_size)
    angles = [ROTATION_STEP_DEGREES * ((i + 1) // 2) * (-1) ** i for i in range(rotations or self.rotations)]
    # One compiled shape for every batch: BATCH_SIZE, or for fewer pictures the next power of two.
    size = min(BATCH_SIZE, 1 << max(0, len(images) - 1).bit_length())
    padded = np.concatenate([images, np.zeros((-len(images) % size, *images.shape[1:]), np.uint8)])
    batches = []
    for start in range(0, len(padded), size):
      batch = jnp.asarray(padded[start:start + size])
      views = [_apply_rotated(self.model, self.variables, batch, jnp.float32(angle)) for angle in angles]
      batches.append(np.asarray(jnp.mean(jnp.stack(views), 0), np.float32))
    return np.concatenate(batches)[:len(images)]

  def save(self, path: str) -> None:
    """The weights to `path` (flax msgpack) and beside it, `path` with .json for its extension, the config and
    the reader's own view count (`rotations`)."""
    files.write_atomically(path, lambda file: file.write(flax.serialization.msgpack_serialize(
        jax.tree.map(np.asarray, self.variables))))
    files.write_json(_config_path(path), {**dataclasses.asdict(self.config), 'rotations': self.rotations,
                                          'no_clock_below': self.no_clock_below})


class _Composite(_Reading):
  """A reader made of others (`parts`): it reads at the largest of their picture sizes, with the most views."""
  parts: tuple

  @property
  def image_size(self) -> int:
    return max(part.image_size for part in self.parts)

  @property
  def rotations(self) -> int:
    return max(part.rotations for part in self.parts)


class Ensemble(_Composite):
  """Readers whose raw outputs are averaged, as one reader. They must decode alike (`representations.same_reading`:
  hands read as (sin, cos), say, whatever loss trained them); each sees the pictures at its own size. `score`
  reports the first reader's loss of the averaged outputs."""

  def __init__(self, readers: list[Reader]):
    if not readers:
      raise ValueError('an ensemble needs at least one reader')
    self.parts = tuple(readers)
    self.representation = readers[0].representation
    for reader in readers[1:]:
      if not representations.same_reading(reader.representation, self.representation):
        raise ConfigError(f'an ensemble averages readers that decode alike: {reader.representation} is not read as '
                          f'{self.representation}')

  @property
  def no_clock_below(self) -> float:
    return float(np.mean([reader.no_clock_below for reader in self.parts]))

  def outputs(self, images: np.ndarray, rotations: int | None = None) -> np.ndarray:
    return np.mean([reader.outputs(images, rotations or self.rotations) for reader in self.parts], 0)


class Product(_Composite):
  """A 720-class reader and a two-head reader as one (representations.Product): on every design of the synthetic
  clocks it reads more of them within a minute than either, and misses by an hour less often than the classes."""

  def __init__(self, classes: '_Reading', hands: '_Reading'):
    self.classes, self.hands = self.parts = classes, hands
    self.representation = representations.Product(classes.representation, hands.representation)

  @property
  def no_clock_below(self) -> float:
    return self.hands.no_clock_below

  def outputs(self, images: np.ndarray, rotations: int | None = None) -> np.ndarray:
    count = rotations or self.rotations
    return np.concatenate([self.classes.outputs(images, count), self.hands.outputs(images, count)], -1)


class Cascade(_Composite):
  """A reader that knows one clock before one for every clock: `gate` (a reader trained with --other_clocks, which
  calls clocks of other designs "no clock") picks the pictures of its own clock, where its clock probability clears
  both its threshold and `then`'s; `own` (the gate itself unless given; a two-head reader) reads those, the gate's
  presence logit beside its time, and `then` every other picture, in any representation (representations.Either).
  So the Leiden clock gets the Leiden reader and any other clock the any-clock reader. All read with one view
  count, the largest of theirs.
  """

  def __init__(self, gate: Reader, then: '_Reading', own: '_Reading | None' = None):
    if not getattr(gate.representation, 'presence', False):
      raise ConfigError('the gate of a cascade says which clocks are its own: train it with --no_clock and '
                        '--other_clocks')
    self.gate, self.then, self.own = gate, then, own or gate
    self.parts = (self.gate, self.own, self.then)
    try:
      own_reading = dataclasses.replace(_time_reading(self.own.representation), presence=True)
    except TypeError:
      raise ConfigError(f'a cascade reads its own clocks with a two-head reader, not {self.own.representation}') \
          from None
    self.representation = representations.Either(own_reading, then.representation)

  @property
  def no_clock_below(self) -> float:
    return self.then.no_clock_below

  def outputs(self, images: np.ndarray, rotations: int | None = None) -> np.ndarray:
    images, count = np.asarray(images), rotations or self.rotations
    gate = self.gate.outputs(images, count)
    own = self.gate.clock_probability(gate) >= max(self.gate.no_clock_below, self.then.no_clock_below)
    time = self.representation.first.num_outputs - 1  # the own reader's time outputs, then the gate's presence
    outputs = np.zeros((len(images), self.representation.num_outputs), np.float32)
    if own.any():
      read = gate[own] if self.own is self.gate else self.own.outputs(images[own], count)
      outputs[own, :time], outputs[own, time] = read[:, :time], gate[own, -1]
    if not own.all():
      outputs[~own, time + 1:-1], outputs[~own, -1] = self.then.outputs(images[~own], count), 1
    return outputs


def _time_reading(representation):
  """`representation` without its presence output: what reads the time."""
  if getattr(representation, 'presence', False):
    return dataclasses.replace(representation, presence=False)
  return representation


def _config_path(path: str) -> str:
  return os.path.splitext(path)[0] + '.json'


def load(path: str) -> Reader:
  """The reader `save` wrote to `path`."""
  for name in (path, _config_path(path)):
    if not os.path.isfile(name):
      raise ConfigError(f'{name}: no such file; a saved reader is a .msgpack file with its .json beside it')
  try:
    with open(_config_path(path)) as file:
      settings = json.load(file)
    rotations = settings.pop('rotations', 1)  # readers saved before it was recorded read with one view
    no_clock_below = settings.pop('no_clock_below', 0.5)
    config = Config(**settings)
    with open(path, 'rb') as file:
      variables = flax.serialization.msgpack_restore(file.read())
  except (ValueError, TypeError) as error:
    raise ConfigError(f'{path}: not a saved clock reader ({error})') from None
  return Reader(config, variables, rotations, no_clock_below)


ROTATION_CANDIDATES = (1, 3, 5, 7, 9)


def choose_rotations(reader: Reader, images: np.ndarray, labels: np.ndarray) -> tuple[int, dict[int, float]]:
  """The view count of ROTATION_CANDIDATES with the lowest mean common-sense error on labelled pictures (a
  validation split; the fewest views on a tie), and each count's error."""
  errors = {count: reader.score(images, labels, count)[0]['cse_minutes'] for count in ROTATION_CANDIDATES}
  return min(errors, key=lambda count: (round(errors[count], 6), count)), errors


def choose_no_clock_below(clocks: np.ndarray, empty: np.ndarray) -> float:
  """The clock probability below which a picture is said to show no clock: the one that calls the fewest of the
  validation pictures wrongly, given the reader's probabilities for pictures with a clock (`clocks`) and without
  (`empty`); on a tie the lowest, which reads more pictures. A reader without a presence output says 0."""
  candidates = np.unique(np.concatenate([clocks, empty, [0.0]]))
  wrong = [np.sum(clocks < below) + np.sum(empty >= below) for below in candidates]
  return float(candidates[int(np.argmin(wrong))])


def from_workdir(workdir: str) -> Reader:
  """The reader a training workdir's best checkpoint holds (of a run of several seeds, the first seed's)."""
  workdir = os.path.abspath(workdir)
  config = config_lib.read(workdir)
  if config.data != 'clocks':
    raise ConfigError(f'{workdir} holds a {config.data} run, not a clock reader')
  with checkpoints.Checkpoints(workdir) as ckpt:
    weights = ckpt.restore_weights('best', build.network(config).variable_shapes())
  if weights is None:
    raise ConfigError(f'{workdir} has no best checkpoint yet: train at least one epoch first')
  return Reader(config, jax.tree.map(lambda x: x[0], weights))


def open_reader(name: str) -> '_Reading':
  """A shipped reader by name (SHIPPED), a training workdir's reader, a saved reader's file, or of these a Cascade
  written 'GATE+THEN' or 'GATE:OWN+THEN', or a Product written 'CLASSES*HANDS'."""
  spec = SHIPPED.get(name, name)
  if '+' in spec:
    gate, own, then = _cascade_parts(spec)
    return Cascade(open_reader(gate), open_reader(then), open_reader(own) if own else None)
  if '*' in spec:
    classes, hands = spec.split('*', 1)
    return Product(open_reader(classes), open_reader(hands))
  if not os.path.exists(spec):
    raise ConfigError(f'{spec}: no such workdir or reader file (a training workdir, or a .msgpack with its .json)')
  return from_workdir(spec) if os.path.isdir(spec) else load(spec)


def where(name: str) -> str:
  """The files a reader name stands for, as absolute paths in the name's form ('GATE:OWN+THEN' for a cascade,
  'CLASSES*HANDS' for a product)."""
  spec = SHIPPED.get(name, name)
  if '+' in spec:
    gate, own, then = _cascade_parts(spec)
    return where(gate) + (f':{where(own)}' if own else '') + f'+{where(then)}'
  if '*' in spec:
    return '*'.join(where(part) for part in spec.split('*', 1))
  return os.path.abspath(spec)


def _cascade_parts(spec: str) -> tuple[str, str, str]:
  first, then = spec.split('+', 1)
  gate, _, own = first.partition(':')
  return gate, own, then


# What a reader's trunk depends on, and its head too: a run started from its weights must agree on each.
_TRUNK_FIELDS = ('model', 'model_options', 'image_size')
_HEAD_FIELDS = ('representation', 'representation_options')


def initial_variables(path: str, config: Config) -> dict:
  """The weights of the reader at `path` (workdir or file) to start `config`'s run from: all of them, or with
  `config.fresh_head` all but the head's (the trainer starts those fresh). A reader of another trunk, or without
  `fresh_head` of another representation, is a ConfigError naming what differs."""
  reader = open_reader(path)
  if not isinstance(reader, Reader):
    raise ConfigError(f'--init_from={path} names a cascade or product of readers: start from one of them')
  theirs, ours = config_lib.to_json(reader.config), config_lib.to_json(config)
  for field in _TRUNK_FIELDS + (() if config.fresh_head else _HEAD_FIELDS):
    if theirs[field] != ours[field]:
      hint = 'give the same trunk and image size' + ('' if config.fresh_head else
                                                      ', and representation or --fresh_head for the trunk alone')
      raise ConfigError(f'--init_from={path} is a reader of another {field} ({theirs[field]} there, '
                        f'{ours[field]} here): {hint}')
  if not config.fresh_head:
    return reader.variables
  return {collection: {name: value for name, value in tree.items() if name != 'head'}
          for collection, tree in reader.variables.items()}


@functools.partial(jax.jit, static_argnums=0)  # readers of equal models share one compiled program
def _apply_rotated(model, variables, images, degrees):
  rotated = _rotate(images.astype(jnp.float32), jnp.radians(degrees))
  return model.apply(variables, build.model_input(rotated / 255, model.dtype), train=False)


def _rotate(images: jax.Array, angle: jax.Array) -> jax.Array:
  """Pictures (N, S, S) turned by `angle` radians about their centre, bilinearly; the corners reflect the border."""
  size = images.shape[-1]
  centre = (size - 1) / 2
  rows, cols = jnp.mgrid[0:size, 0:size].astype(jnp.float32) - centre
  cos, sin = jnp.cos(angle), jnp.sin(angle)
  source = [centre + cos * rows - sin * cols, centre + sin * rows + cos * cols]
  return jax.vmap(lambda image: jax.scipy.ndimage.map_coordinates(image, source, order=1, mode='reflect'))(images)
