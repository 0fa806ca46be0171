"""Scores a trained clock reader on folders of Leiden-format clocks: one JSON line per folder.

  python -m experiments.evaluate --reader=workdirs/clock_twohead/fresh --eval_dirs=DIR[,DIR...]
  python -m experiments.evaluate --reader=W --eval_dirs=../shared/real-clock-dev,../shared/real-clock-samples
  python -m experiments.evaluate --eval_dirs=../shared/real-clock-dev,../shared/real-clock-samples

The second is the sim-to-real check: a reader trained on synthetic clocks, scored on the real development photos;
the third scores the reader that ships with the project for any clock (--reader=leiden: the Leiden clock's).
Several workdirs or reader files, comma-separated, are scored as one ensemble: their outputs averaged, then
decoded. Restores a workdir's best checkpoint (of a run of several seeds, the first seed's), reads each
DIR/images.npy and DIR/labels.npy (150 or 75 px, any N, resized to the reader's size and min-max stretched, as in
training) and prints its metrics; --rotations averages the reader over turned copies of each picture;
--predictions_out writes the readings of a single folder as int (N, 2) (hour, minute).
"""
import json
import os

from absl import flags

from experiments import cli
from experiments import reader_flags
from timeread_jax import datasets
from timeread_jax import files

flags.adopt_module_key_flags(reader_flags)
_EVAL_DIRS = flags.DEFINE_list('eval_dirs', None, 'Folders of labelled clocks to score on (images.npy and '
                               'labels.npy), comma-separated.', required=True)
_PREDICTIONS_OUT = flags.DEFINE_string('predictions_out', None, "Where to write one folder's readings (.npy, int "
                                       '(N, 2)).')


def main(argv):
  if len(argv) > 1:
    cli.fail(f'unexpected arguments {argv[1:]}')
  if _PREDICTIONS_OUT.value and len(_EVAL_DIRS.value) > 1:
    cli.fail('--predictions_out writes the readings of one --eval_dirs folder, not of several')
  reader = reader_flags.load()
  data = [(data_dir, datasets.load_leiden(data_dir)) for data_dir in _EVAL_DIRS.value]  # all checked first
  for data_dir, (images, labels) in data:
    summary, readings = reader.score(images, labels, reader_flags.rotations(reader))
    print(json.dumps({'data_dir': os.path.abspath(data_dir), 'num_examples': len(images),
                      'image_size': images.shape[1], 'reader': reader_flags.path(),
                      'rotations': reader_flags.rotations(reader), **summary}), flush=True)
    if _PREDICTIONS_OUT.value:
      files.write_npy(_PREDICTIONS_OUT.value, readings)


if __name__ == '__main__':
  cli.run(main)
