"""Saves a trained clock workdir's best reader as one small file (flax msgpack) with its settings beside it.

  python -m experiments.export_reader --reader=workdirs/clock_twohead/base --out=workdirs/exported/reader.msgpack

The file is what `read_clock --reader` and `--init_from` read, without the workdir's checkpoints. It records the
reader's settings, chosen on the run's own validation split (synthetic clocks for a reader trained on them; never
the development photos): the number of test-time views it reads with by default (--rotations, or else the count of
1, 3, 5, 7 or 9 with the lowest mean error), and for a reader with a presence output (--no_clock), the clock
probability below which a picture shows no clock (the fewest wrong calls on the validation clocks and as many
rendered pictures without one, and for a reader trained with --other_clocks as many clocks of other designs).
"""
import os

from absl import flags
import numpy as np

from experiments import cli
from experiments import reader_flags
from timeread_jax import datasets
from timeread_jax import readers
from timeread_jax import synthetic

flags.adopt_module_key_flags(reader_flags)
_OUT = flags.DEFINE_string('out', None, 'The reader file to write (.msgpack; its .json goes beside it).',
                           required=True)


def main(argv):
  if len(argv) > 1:
    cli.fail(f'unexpected arguments {argv[1:]}')
  reader = reader_flags.load()
  if not isinstance(reader, readers.Reader):
    cli.fail('--reader names several readers: export one at a time')
  choose_rotations = not flags.FLAGS['rotations'].present
  val_images, val_labels = datasets.load_splits(reader.config).val if choose_rotations or reader.config.no_clock \
      else (None, None)
  if choose_rotations:
    reader.rotations, errors_by_count = readers.choose_rotations(reader, val_images, val_labels)
    print('validation CSE by views: ' + ', '.join(f'{count}: {error:.2f} min' for count, error in
                                                  errors_by_count.items()) + f'; reads with {reader.rotations}')
  else:
    reader.rotations = reader_flags.rotations(reader)
  if reader.config.no_clock:
    empty = synthetic.make_no_clocks(len(val_images), synthetic.SEED, designs=reader.config.designs)
    if reader.config.other_clocks:
      others = synthetic.make_clocks(len(val_images), synthetic.SEED, designs='others')[0]
      empty = np.concatenate([empty, others])
    reader.no_clock_below = readers.choose_no_clock_below(
        *(reader.clock_probability(reader.outputs(images)) for images in (val_images, empty)))
    print(f'says "no clock" below a clock probability of {reader.no_clock_below:.3f}')
  os.makedirs(os.path.dirname(os.path.abspath(_OUT.value)), exist_ok=True)
  reader.save(_OUT.value)
  print(f'wrote {_OUT.value} ({os.path.getsize(_OUT.value) / 1e6:.1f} MB) and its .json')


if __name__ == '__main__':
  cli.run(main)
