"""Saves a trained clock workdir's best reader as one small file (flax msgpack) with its config beside it.

  python -m experiments.export_reader --reader=workdirs/clock_twohead/base --out=workdirs/exported/reader.msgpack

The file is what `read_clock --reader` and `--init_from` read, without the workdir's checkpoints.
"""
import os

from absl import flags

from experiments import cli
from experiments import reader_flags
from timeread_jax import readers

flags.adopt_module_key_flags(reader_flags)
_OUT = flags.DEFINE_string('out', None, 'The reader file to write (.msgpack; its .json goes beside it).',
                           required=True)


def main(argv):
  if len(argv) > 1:
    cli.fail(f'unexpected arguments {argv[1:]}')
  reader = reader_flags.load()
  if not isinstance(reader, readers.Reader):
    cli.fail('--reader names several readers: export one at a time')
  os.makedirs(os.path.dirname(os.path.abspath(_OUT.value)), exist_ok=True)
  reader.save(_OUT.value)
  print(f'wrote {_OUT.value} ({os.path.getsize(_OUT.value) / 1e6:.1f} MB) and its .json')


if __name__ == '__main__':
  cli.run(main)
