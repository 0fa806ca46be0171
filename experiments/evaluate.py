"""Scores a trained clock reader on a folder of Leiden-format clocks and writes its readings.

  python -m experiments.evaluate --workdir=workdirs/clock_twohead/base --clock_data_dir=DIR [--predictions_out=P.npy]

Restores the workdir's best checkpoint (of a run of several seeds, the first seed's), reads DIR/images.npy and
DIR/labels.npy (any N, resized to the model's image size), prints the metrics as one JSON line and writes the
predicted (hour, minute) per image as int (N, 2).
"""
import json
import os

from absl import flags
import numpy as np

from experiments import cli
from timeread_jax import checkpoints
from timeread_jax import clocks
from timeread_jax import datasets
from timeread_jax import files
from timeread_jax import train

_WORKDIR = flags.DEFINE_string('workdir', None, 'A clock experiment workdir.', required=True)
_CLOCK_DATA_DIR = flags.DEFINE_string('clock_data_dir', None, 'A folder with images.npy and labels.npy.',
                                      required=True)
_PREDICTIONS_OUT = flags.DEFINE_string('predictions_out', None, 'Where to write the readings (.npy, int (N, 2)).')


def main(argv):
  if len(argv) > 1:
    cli.fail(f'unexpected arguments {argv[1:]}')
  try:
    trainer, state = train.restore_best(_WORKDIR.value)
    images, labels = clocks.load_leiden(_CLOCK_DATA_DIR.value)
    images = clocks.resize_images(images, trainer.config.image_size)
    per_example = {name: values[0] for name, values in  # a run of several seeds: its first seed's reader
                   trainer.evaluate(state, trainer.put_eval(images, labels.astype(np.int32))).items()}
    print(json.dumps({'workdir': os.path.abspath(_WORKDIR.value), 'num_examples': len(images),
                      **train.summarize(per_example)}))
    if _PREDICTIONS_OUT.value:
      readings = train.decode_times(trainer, per_example['outputs'])
      files.write_npy(_PREDICTIONS_OUT.value, readings)
  except (datasets.DataError, train.ConfigError, checkpoints.CheckpointError, OSError) as error:
    cli.fail(str(error).splitlines()[0])


if __name__ == '__main__':
  cli.run(main)
