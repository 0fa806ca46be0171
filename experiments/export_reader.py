"""Saves a trained clock workdir's best reader as one small file (flax msgpack) with its config beside it.

  python -m experiments.export_reader --workdir=workdirs/clock_twohead/base --out=timeread_jax/pretrained/clock_reader.msgpack

The file is what `read_clock --reader` and `--init_from` read, without the workdir's checkpoints.
"""
import os

from absl import flags

from experiments import cli
from timeread_jax import checkpoints
from timeread_jax import readers
from timeread_jax.errors import ConfigError

_WORKDIR = flags.DEFINE_string('workdir', None, 'A trained clock workdir.', required=True)
_OUT = flags.DEFINE_string('out', None, 'The reader file to write (.msgpack; its .json goes beside it).',
                           required=True)


def main(argv):
  if len(argv) > 1:
    cli.fail(f'unexpected arguments {argv[1:]}')
  try:
    reader = readers.from_workdir(_WORKDIR.value)
    os.makedirs(os.path.dirname(os.path.abspath(_OUT.value)), exist_ok=True)
    reader.save(_OUT.value)
  except (ConfigError, checkpoints.CheckpointError, OSError) as error:
    cli.fail(str(error).splitlines()[0])
  print(f'wrote {_OUT.value} ({os.path.getsize(_OUT.value) / 1e6:.1f} MB) and its .json')


if __name__ == '__main__':
  cli.run(main)
