"""--workdir and --reader: how read_clock and evaluate name the clock reader they use."""
import os

from absl import flags

from experiments import cli
from timeread_jax import checkpoints
from timeread_jax import readers
from timeread_jax.config import ConfigError

_WORKDIR = flags.DEFINE_string('workdir', None, 'Use this trained clock workdir (its best checkpoint).')
_READER = flags.DEFINE_string('reader', readers.SHIPPED, 'Without --workdir, use this saved reader (.msgpack with '
                              'its .json beside it); the default ships with the project.')


def path() -> str:
  """Where the named reader comes from, as an absolute path."""
  return os.path.abspath(_WORKDIR.value or _READER.value)


def load() -> readers.Reader:
  """The named reader, or the end of the program in one line when it cannot be used."""
  if _WORKDIR.value and flags.FLAGS['reader'].present:
    cli.fail('--workdir and --reader name two readers: give one')
  try:
    return readers.from_workdir(_WORKDIR.value) if _WORKDIR.value else readers.load(_READER.value)
  except (ConfigError, checkpoints.CheckpointError, OSError) as error:
    cli.fail(str(error).splitlines()[0])
