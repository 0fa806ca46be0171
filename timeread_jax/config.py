"""The one record of a run's settings: built at the edge from flags, written to workdir/config.json, checked on
resume. The library reads settings from here only, never from absl, and every rule about which settings go
together is checked here, once, when a Config is made (each field is the flag of the same name, which the
messages name)."""
import dataclasses
import json
import os

from timeread_jax import representations
from timeread_jax.errors import ConfigError

# Changing these between runs of one workdir continues the same training; any other field starts a different one.
RESUMABLE_FIELDS = ('epochs', 'patience', 'steps_per_call', 'command')


@dataclasses.dataclass(frozen=True)
class Config:
  """Everything that defines a run; written to `workdir/config.json` and checked on resume."""
  experiment: str
  data: str  # 'clocks', 'fashion_mnist' or 'cifar10'
  model: str
  representation: str
  model_options: dict = dataclasses.field(default_factory=dict)
  representation_options: dict = dataclasses.field(default_factory=dict)
  data_dir: str = ''  # clocks: '' renders the synthetic set; others: '' searches the default places
  num_examples: int = 0  # 0: all (synthetic clocks: 18,000); else the first N (of each split, for Task 1)
  image_size: int = 150  # clocks only: 150 or 75
  val_size: int = 0  # 0: the data set's default (clocks: 10% of train)
  clock_generator: int = 0  # synthetic clocks: the renderer's GENERATOR_VERSION, stamped by loop.train_and_evaluate
  fresh_data: bool = False  # clocks only: render a new training batch every step
  designs: str = 'leiden'  # clocks: the designs the synthetic clocks are drawn from (DESIGNS)
  held_out_styles: bool = False  # synthetic clocks: train on some dial styles (or designs), validate on the others
  no_clock: float = 0.0  # fresh clocks: the share of training pictures without a clock, for TwoHead(presence=True)
  other_clocks: float = 0.0  # with no_clock on the Leiden clock: the share showing other designs, labelled no clock
  turn_warmup_epochs: int = 0  # fresh clocks only: their turn grows from none to any over these (0 with init_from)
  augment: bool = False  # Task 1 only: random horizontal flips and shifts of each training batch
  erase: float = 0.0  # uint8 pictures (a clock flag): the share of training pictures with a rectangle made one grey
  via_75px: float = 0.0  # 150 px clocks: the share of training pictures seen as a 75 px photo of them, enlarged
  standardize: bool = False  # Task 1 only: pixels standardized with the training split's statistics
  optimizer: str = 'adam'
  learning_rate: float = 1e-4
  momentum: float = 0.0
  schedule: str = 'constant'  # or 'cosine': the learning rate decays to 0 over `epochs`
  cycles: int = 1  # cosine: the decay restarts, in this many cycles of equal length (warm restarts)
  cycle_decay: float = 1.0  # cosine cycles: each cycle's peak learning rate as a share of the one before
  epochs: int = 30
  batch_size: int = 32
  patience: int = 0  # early stopping: epochs without a better `monitor`; 0 turns it off
  monitor: str = 'val_loss'  # the validation statistic that picks the best epoch, in its own direction
  seed: int = 0
  num_seeds: int = 1  # seeds seed, seed + 1, ... trained side by side in one computation
  steps_per_call: int = 0  # 0: a whole epoch per call, or 1 for convnets on CPU
  dtype: str = 'float32'  # compute dtype; parameters stay float32
  init_from: str = ''  # a trained reader (workdir or saved file) whose weights start the run: fine-tuning
  fresh_head: bool = False  # with init_from: the reader's trunk only, under a new head (any representation)
  head_only_epochs: int = 0  # with fresh_head: the trunk held still over these first epochs while the head learns
  command: str = ''  # the command line that last ran it (a saved reader's says which flagfile made it)

  def __post_init__(self):
    _check(self)
    if self.init_from and self.turn_warmup_epochs:  # a trained reader already finds 12: it turns every way at once
      object.__setattr__(self, 'turn_warmup_epochs', 0)

  @property
  def seeds(self) -> list[int]:
    return list(range(self.seed, self.seed + self.num_seeds))


DATA = ('clocks', 'fashion_mnist', 'cifar10')
DESIGNS = ('leiden', 'all')  # the Leiden wall clock alone, or every design the renderer draws (it among them)


def _check(config: Config) -> None:
  """Refuses settings that cannot run together, in one line that says what to give instead."""
  if config.data not in DATA:
    raise ConfigError(f'unknown data {config.data!r}: use {", ".join(DATA)}')
  if config.held_out_styles and (config.data != 'clocks' or config.data_dir):
    raise ConfigError('--held_out_styles splits the synthetic clocks by style: it cannot be combined with '
                      '--clock_data_dir')
  if config.fresh_data and config.data != 'clocks':  # with a clock_data_dir, validation and test come from it
    raise ConfigError(f'--fresh_data renders clocks: it cannot train a {config.data} classifier')
  if config.turn_warmup_epochs and not config.fresh_data and not config.init_from:
    raise ConfigError('--turn_warmup_epochs turns freshly rendered clocks: give --fresh_data, or '
                      '--turn_warmup_epochs=0 to train on a stored set')
  if config.fresh_head and not config.init_from:
    raise ConfigError('--fresh_head keeps the trunk of the reader --init_from names: give --init_from too')
  if config.head_only_epochs and not config.fresh_head:
    raise ConfigError('--head_only_epochs holds a trained trunk still under a new head: give --init_from and '
                      '--fresh_head')
  if config.cycles < 1 or config.epochs % config.cycles or (config.cycles > 1 and config.schedule != 'cosine'):
    raise ConfigError(f'--cycles={config.cycles} restarts a cosine schedule: give --schedule=cosine and a number '
                      f'of cycles that divides --epochs={config.epochs}')
  if not 0 < config.cycle_decay <= 1 or (config.cycle_decay != 1 and config.cycles == 1):
    raise ConfigError(f'--cycle_decay={config.cycle_decay} lowers each restart\'s peak: give a share in (0, 1] '
                      'and --cycles of 2 or more')
  if config.via_75px and not (config.data == 'clocks' and config.image_size == 150):
    raise ConfigError('--via_75px shows 150 px pictures as 75 px photos of them: give --image_size=150')
  if config.designs not in DESIGNS or (config.designs != 'leiden' and config.data != 'clocks'):
    raise ConfigError(f'--designs={config.designs}: synthetic clocks are drawn from {" or ".join(DESIGNS)}')
  presence = config.representation_options.get('presence', False)
  if not 0 <= config.no_clock < 1 or bool(config.no_clock) != presence or (config.no_clock and not config.fresh_data):
    raise ConfigError('--no_clock (a share below 1 of fresh training pictures without a clock) and a two-head '
                      "reader's presence output go together, with --fresh_data")
  if config.other_clocks and not (config.no_clock and config.designs == 'leiden'
                                  and 0 < config.other_clocks < 1 - config.no_clock):
    raise ConfigError('--other_clocks teaches a Leiden reader to call other clocks "no clock": give --designs=leiden, '
                      '--no_clock, and shares that sum below 1')
  representation = representations.build(config.representation, **config.representation_options)  # its rules
  validated = [f'val_{name}' for name in representations.statistics(representation)]
  if config.monitor not in validated:
    raise ConfigError(f'cannot monitor {config.monitor!r}: this run validates {", ".join(validated)}')


def to_json(config: Config) -> dict:
  """The config as config.json holds it (tuples become lists)."""
  return json.loads(json.dumps(dataclasses.asdict(config)))


def read(workdir: str) -> Config:
  """The config of the run in `workdir`."""
  path = os.path.join(workdir, 'config.json')
  if not os.path.isfile(path):
    raise ConfigError(f'{workdir} holds no run (no config.json): name a training workdir')
  with open(path) as f:
    return Config(**json.load(f))


def check_workdir(config: Config, workdir: str) -> None:
  """Refuses a workdir that already holds a run with other settings."""
  path = os.path.join(workdir, 'config.json')
  if not os.path.exists(path):
    return
  with open(path) as f:
    stored = json.load(f)
  wanted = to_json(config)
  # A field added to Config since the stored run was made held its default there.
  defaults = {f.name: f.default for f in dataclasses.fields(Config) if f.default is not dataclasses.MISSING}
  differing = sorted(k for k in set(stored) | set(wanted)
                     if k not in RESUMABLE_FIELDS and stored.get(k, defaults.get(k)) != wanted.get(k))
  if differing:
    raise ConfigError(f'{workdir} holds a run with other settings ({", ".join(differing)} differ); '
                      'use a new --workdir or the same flags')
