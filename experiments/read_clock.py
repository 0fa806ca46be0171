"""Reads the time off clock photos: one line per photo, `path<TAB>H:MM`.

  python -m experiments.read_clock PHOTO [PHOTO ...]          # files, folders of images, or .npy arrays of images
  python -m experiments.read_clock --reader=W --csv=times.csv photos/

Each photo (PNG, JPEG, BMP, GIF, TIFF or WebP, any size and colour) is converted to grayscale, centre-cropped to
a square, resized to the reader's size (75 or 150 px) and min-max stretched, as every picture a reader reads. The
reader is the default one that ships with the project, for any analog clock: a cascade in which a Leiden reader
that knows its own clock picks out the report's Leiden wall clock, which the Leiden reader reads, and two any-clock
readers multiplied read every other clock, 720 classes and two heads (--reader=leiden, any_classes or any_clock:
one of them alone). --reader also takes any trained clock workdir's best checkpoint or a saved reader file;
several, comma-separated, read as one ensemble (their outputs averaged).
A reader with a presence output (trained with --no_clock) prints `path<TAB>no clock` for a picture it finds no
clock in (its clock probability below the threshold chosen on validation when it was exported). --csv writes
path, hour (0-11, 0 being 12 o'clock, as in the Leiden labels), minute, the reader's confidence (two heads: the
hour's probability; periodic readers: the length of the predicted (sin, cos) vector) and the clock probability (1
for a reader without a presence output); hour and minute are empty where there is no clock. A photo that cannot
be read gets one line naming it and the others are still read; the exit status is then 1.
"""
import csv
import io
import sys

from absl import flags
import numpy as np

from experiments import cli
from experiments import reader_flags
from timeread_jax import errors
from timeread_jax import files
from timeread_jax import photos

flags.adopt_module_key_flags(reader_flags)
_CSV = flags.DEFINE_string('csv', None, 'Also write path,hour,minute,confidence to this CSV file.')


def main(argv):
  if len(argv) < 2:
    cli.fail('no photos given: python -m experiments.read_clock PHOTO [PHOTO ...] (files, folders or .npy)')
  reader = reader_flags.load()
  names, pictures, failed = [], [], False
  for item in photos.expand(argv[1:]):
    try:
      if isinstance(item, errors.DataError):
        raise item
      pictures.append(photos.load(item, reader.image_size))
      names.append(item)
    except errors.DataError as error:
      print(f'error: {str(error).splitlines()[0]}', file=sys.stderr)
      failed = True
  rows = []
  if pictures:
    outputs = reader.outputs(np.stack(pictures), reader_flags.rotations(reader))
    confidence = np.asarray(reader.representation.confidence(outputs))
    clock = reader.clock_probability(outputs)
    for name, (hour, minute), sure, likely in zip(names, reader.times(outputs), confidence, clock):
      if likely < reader.no_clock_below:
        print(f'{name}\tno clock', flush=True)
        rows.append([name, '', '', '', f'{likely:.4f}'])
        continue
      print(f'{name}\t{hour or 12}:{minute:02d}', flush=True)
      rows.append([name, int(hour), int(minute), '' if np.isnan(sure) else f'{sure:.4f}', f'{likely:.4f}'])
  if _CSV.value:
    text = io.StringIO()
    csv.writer(text).writerows([['path', 'hour', 'minute', 'confidence', 'clock_probability'], *rows])
    files.write_text(_CSV.value, text.getvalue())
  sys.exit(1 if failed else 0)


if __name__ == '__main__':
  cli.run(main)
