"""--reader and --rotations: which clock reader read_clock, evaluate and export_reader use, and how many views."""
from absl import flags

from experiments import cli
from timeread_jax import readers

_READER = flags.DEFINE_list('reader', ['any'], 'The clock reader: one that ships with the project by name '
                            "('any', the default, for any analog clock, which says \"no clock\" where it finds none: "
                            "the report's Leiden wall clock read by 'leiden', picked out by 'leiden_own', and every "
                            "other clock by 'any_classes*any_clock'), a training "
                            'workdir (its best checkpoint) or a saved reader file (.msgpack with its .json beside '
                            'it); several, comma-separated, are read as one ensemble (their outputs averaged); '
                            "'GATE+THEN' or 'GATE:OWN+THEN' is a cascade: GATE, a reader trained with --other_clocks, "
                            'picks the clocks it knows, which OWN (else GATE) reads, and THEN reads the others; '
                            "'CLASSES*HANDS' multiplies a class reader's and a two-head reader's readings.")
_ROTATIONS = flags.DEFINE_integer('rotations', None, 'Test-time augmentation: average the reader over this many '
                                  'views of each picture, turned by 0, +-6, +-12... degrees. Default: the count the '
                                  'reader was saved with, chosen on its validation split (1 for a workdir).',
                                  lower_bound=1)


def path() -> str:
  """Where the named reader comes from, as absolute paths (comma-separated for an ensemble)."""
  return ','.join(readers.where(name) for name in _READER.value)


def rotations(reader: readers.Reader | readers.Ensemble | readers.Cascade | readers.Product) -> int:
  """The views to read with: --rotations, else the reader's own count."""
  return _ROTATIONS.value or reader.rotations


def load() -> readers.Reader | readers.Ensemble | readers.Cascade | readers.Product:
  """The named reader (an ensemble of several, or a cascade); a reader that cannot be used is an errors.UserError."""
  if not _READER.value:
    cli.fail('--reader is empty: name a workdir or a saved reader, or leave the flag out for the shipped any-clock one')
  loaded = [readers.open_reader(name) for name in _READER.value]
  return loaded[0] if len(loaded) == 1 else readers.Ensemble(loaded)
