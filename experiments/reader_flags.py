"""--workdir and --reader: how read_clock and evaluate name the clock reader they use, or the readers they average."""
import os

from absl import flags

from experiments import cli
from timeread_jax import checkpoints
from timeread_jax import readers
from timeread_jax.errors import ConfigError

_WORKDIR = flags.DEFINE_list('workdir', None, 'Use this trained clock workdir (its best checkpoint); several, '
                             'comma-separated, are read as one ensemble (their outputs averaged).')
_READER = flags.DEFINE_list('reader', [readers.SHIPPED], 'Without --workdir, use this saved reader (.msgpack with '
                            'its .json beside it), or several as one ensemble; the default ships with the project.')


def path() -> str:
  """Where the named reader comes from, as an absolute path (or comma-separated paths, for an ensemble)."""
  return ','.join(os.path.abspath(name) for name in _WORKDIR.value or _READER.value)


def load() -> readers.Reader | readers.Ensemble:
  """The named reader (or ensemble), or the end of the program in one line when it cannot be used."""
  if _WORKDIR.value and flags.FLAGS['reader'].present:
    cli.fail('--workdir and --reader name two readers: give one')
  names = _WORKDIR.value or _READER.value
  if not names:
    cli.fail('--reader is empty: name a saved reader, or leave the flag out for the shipped one')
  try:
    loaded = [readers.from_workdir(name) if _WORKDIR.value else readers.load(name) for name in names]
    return loaded[0] if len(loaded) == 1 else readers.Ensemble(loaded)
  except (ConfigError, checkpoints.CheckpointError, OSError) as error:
    cli.fail(str(error).splitlines()[0])
