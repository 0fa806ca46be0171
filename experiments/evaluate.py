"""Scores a trained clock reader on folders of Leiden-format clocks: one JSON line per folder.

  python -m experiments.evaluate --workdir=workdirs/clock_twohead/fresh --clock_data_dir=DIR[,DIR...]
  python -m experiments.evaluate --workdir=W --clock_data_dir=../shared/real-clock-dev,../shared/real-clock-samples
  python -m experiments.evaluate --clock_data_dir=../shared/real-clock-dev,../shared/real-clock-samples

The second is the sim-to-real check: a reader trained on synthetic clocks, scored on the real development photos;
the third scores the reader that ships with the project (or, with --reader, any saved reader file). Several
workdirs (or reader files), comma-separated, are scored as one ensemble: their outputs averaged, then decoded.
Restores the workdir's best checkpoint (of a run of several seeds, the first seed's), reads each DIR/images.npy
and DIR/labels.npy (150 or 75 px, any N, resized to the reader's size and min-max stretched, as in training) and
prints its metrics; --rotations averages the reader over turned copies of each picture; --predictions_out writes
the readings of a single folder as int (N, 2) (hour, minute).
"""
import json
import os

from absl import flags

from experiments import cli
from experiments import reader_flags
from timeread_jax import clocks
from timeread_jax import datasets
from timeread_jax import files

flags.adopt_module_key_flags(reader_flags)
_CLOCK_DATA_DIR = flags.DEFINE_list('clock_data_dir', None, 'Folders with images.npy and labels.npy, comma-separated.',
                                    required=True)
_ROTATIONS = flags.DEFINE_integer('rotations', 1, 'Test-time augmentation: average the reader over this many views '
                                  'of each picture, turned by 0, +-6, +-12... degrees.', lower_bound=1)
_PREDICTIONS_OUT = flags.DEFINE_string('predictions_out', None, "Where to write one folder's readings (.npy, int "
                                       '(N, 2)).')


def main(argv):
  if len(argv) > 1:
    cli.fail(f'unexpected arguments {argv[1:]}')
  if _PREDICTIONS_OUT.value and len(_CLOCK_DATA_DIR.value) > 1:
    cli.fail('--predictions_out writes the readings of one --clock_data_dir, not of several')
  reader = reader_flags.load()
  try:
    data = [(data_dir, clocks.load_leiden(data_dir)) for data_dir in _CLOCK_DATA_DIR.value]  # all checked first
    for data_dir, (images, labels) in data:
      summary, readings = reader.score(images, labels, _ROTATIONS.value)
      print(json.dumps({'data_dir': os.path.abspath(data_dir), 'num_examples': len(images),
                        'image_size': images.shape[1], 'reader': reader_flags.path(),
                        'rotations': _ROTATIONS.value, **summary}), flush=True)
      if _PREDICTIONS_OUT.value:
        files.write_npy(_PREDICTIONS_OUT.value, readings)
  except (datasets.DataError, OSError) as error:
    cli.fail(str(error).splitlines()[0])


if __name__ == '__main__':
  cli.run(main)
