"""experiments.read_clock as a user runs it: photos of any format, size and colour in, one line each out; every
bad input one line naming it."""
import csv
import json
import os
import subprocess
import sys

import jax
import numpy as np
from PIL import Image
import pytest

from timeread_jax import build
from timeread_jax import readers
from timeread_jax import synthetic

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _read_clock(*args):
  return subprocess.run([sys.executable, '-m', 'experiments.read_clock', *args], cwd=ROOT, capture_output=True,
                        text=True, timeout=300)


def _assert_times(lines):
  """Each (path, time) line's time is H:MM on a 12-hour dial."""
  for _, time in lines:
    hour, minute = time.split(':')
    assert 1 <= int(hour) <= 12 and len(minute) == 2 and 0 <= int(minute) < 60


@pytest.fixture(scope='module')
def clock_photos(tmp_path_factory):
  """Four synthetic clocks as a user's files: an RGB PNG larger than 150 px and not square, a JPEG, a 16-bit PNG
  and the same picture as an 8-bit PNG in a folder, and a .npy of two pictures."""
  folder = tmp_path_factory.mktemp('photos')
  images, _ = synthetic.make_clocks(6, seed=21)
  wide = np.pad(np.kron(images[0], np.ones((2, 2), np.uint8)), ((0, 0), (40, 40)), mode='edge')  # 300x380
  Image.fromarray(np.stack([wide] * 3, -1)).save(folder / 'rgb.png')
  Image.fromarray(images[1]).save(folder / 'photo.jpg', quality=95)
  Image.fromarray(images[2].astype(np.uint16) * 257).save(folder / 'deep.png')  # PIL writes mode I;16
  (folder / 'album').mkdir()
  Image.fromarray(images[2]).save(folder / 'album' / 'flat.png')
  np.save(folder / 'pair.npy', images[4:6])
  return folder


def test_photos_of_every_kind_are_read_one_line_each(trained, clock_photos, tmp_path):
  workdir = trained[0]
  table = tmp_path / 'times.csv'
  result = _read_clock(f'--reader={workdir}', f'--csv={table}', str(clock_photos / 'rgb.png'),
                       str(clock_photos / 'photo.jpg'), str(clock_photos / 'deep.png'), str(clock_photos / 'album'),
                       str(clock_photos / 'pair.npy'))
  assert result.returncode == 0, result.stderr
  lines = [line.split('\t') for line in result.stdout.strip().splitlines()]
  assert [name for name, _ in lines] == [str(clock_photos / 'rgb.png'), str(clock_photos / 'photo.jpg'),
                                         str(clock_photos / 'deep.png'), str(clock_photos / 'album' / 'flat.png'),
                                         f'{clock_photos / "pair.npy"}[0]', f'{clock_photos / "pair.npy"}[1]']
  _assert_times(lines)
  assert lines[2][1] == lines[3][1]  # a 16-bit PNG reads as its 8-bit twin
  rows = list(csv.DictReader(table.open()))
  assert [row['path'] for row in rows] == [name for name, _ in lines]
  for row, (_, time) in zip(rows, lines):
    assert f'{int(row["hour"]) or 12}:{int(row["minute"]):02d}' == time
    assert 0 <= float(row['confidence']) <= 1 and row['clock_probability'] == '1.0000'  # the hour's probability


def test_every_bad_input_is_one_line_and_the_rest_are_still_read(trained, clock_photos, tmp_path):
  (tmp_path / 'notes.png').write_text('not an image')
  (tmp_path / 'empty.jpg').write_bytes(b'')
  Image.fromarray(np.zeros((1, 1), np.uint8)).save(tmp_path / 'dot.png')
  (tmp_path / 'nothing_here').mkdir()
  np.save(tmp_path / 'floats.npy', np.zeros((2, 9, 9), np.float32))
  bad = [str(tmp_path / name) for name in ('missing.png', 'notes.png', 'empty.jpg', 'dot.png', 'nothing_here',
                                           'floats.npy')]
  result = _read_clock(f'--reader={trained[0]}', *bad, str(clock_photos / 'photo.jpg'))
  assert result.returncode == 1
  errors = result.stderr.strip().splitlines()
  assert len(errors) == len(bad) and all(line.startswith('error: ') for line in errors)
  for path, line, words in zip(bad, errors, ('no such file', 'not a readable image', 'empty file', '1x1 pixels',
                                             'no images', 'expected uint8')):
    assert path in line and words in line
  assert result.stdout.startswith(str(clock_photos / 'photo.jpg') + '\t')


@pytest.mark.parametrize('args, words', [
    ([], 'no photos given'),
    (['--reader=/nonexistent/reader.msgpack', 'x.png'], 'no such workdir or reader file'),
    (['--reader=/tmp', 'x.png'], 'no config.json'),
    (['--reader=', 'x.png'], '--reader is empty'),
])
def test_unusable_readers_end_in_one_line_and_exit_status_2(args, words):
  result = _read_clock(*args)
  assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1 and words in result.stderr


def test_a_fashion_mnist_workdir_is_refused_in_one_line(tmp_path, clock_photos):
  (tmp_path / 'config.json').write_text(json.dumps({'experiment': 'fashion_mlp', 'data': 'fashion_mnist',
                                                    'model': 'mlp', 'representation': 'categorical'}))
  result = _read_clock(f'--reader={tmp_path}', str(clock_photos / 'photo.jpg'))
  assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
  assert 'fashion_mnist run, not a clock reader' in result.stderr


def test_an_exported_reader_reads_as_its_workdir_does_with_the_views_validation_chose(trained, clock_photos, tmp_path):
  path = tmp_path / 'reader.msgpack'
  export = subprocess.run([sys.executable, '-m', 'experiments.export_reader', f'--reader={trained[0]}',
                           f'--out={path}'], cwd=ROOT, capture_output=True, text=True, timeout=300)
  assert export.returncode == 0, export.stderr
  assert path.stat().st_size < 10e6
  chosen = json.loads((tmp_path / 'reader.json').read_text())['rotations']
  assert chosen in readers.ROTATION_CANDIDATES and f'reads with {chosen}' in export.stdout
  photo = str(clock_photos / 'photo.jpg')
  assert (_read_clock(f'--reader={path}', photo).stdout
          == _read_clock(f'--reader={trained[0]}', f'--rotations={chosen}', photo).stdout)


def test_the_shipped_reader_reads_the_8_real_sample_photos_end_to_end(tmp_path):
  """Loading and decoding on a fresh clone, no workdir: a smoke test, not a score to tune on."""
  shipped = readers.SHIPPED['leiden']
  assert os.path.getsize(shipped) < 10e6 and os.path.exists(shipped[:-len('.msgpack')] + '.json')
  samples = os.path.join(ROOT, 'tests', 'data', 'real-clock-samples')
  result = _read_clock(f'--csv={tmp_path / "times.csv"}', samples)
  assert result.returncode == 0, result.stderr
  lines = [line.split('\t') for line in result.stdout.strip().splitlines()]
  assert [name for name, _ in lines] == [os.path.join(samples, f'sample{i}.png') for i in range(8)]
  _assert_times(lines)
  assert all(0 <= float(row['confidence']) <= 1 for row in csv.DictReader((tmp_path / 'times.csv').open()))


def test_output_closed_early_ends_quietly():
  """`read_clock ... | head -1`: the lines after the reader stops reading go nowhere, without a traceback."""
  samples = os.path.join(ROOT, 'tests', 'data', 'real-clock-samples')
  process = subprocess.Popen([sys.executable, '-m', 'experiments.read_clock', samples], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
  process.stdout.close()  # before the first line: every write finds the pipe closed
  stderr = process.communicate(timeout=300)[1]
  assert process.returncode == 141 and stderr == ''


def test_a_reader_with_a_presence_output_says_no_clock_below_its_threshold(small_config, clock_photos, tmp_path):
  """The no-clock path end to end: a reader whose presence output is made sure of no clock prints `path<TAB>no
  clock`, and its CSV row has no time and the clock probability (a reader without one writes 1: test above)."""
  config = small_config(fresh_data=True, no_clock=0.1, representation_options={'presence': True})
  variables = jax.tree.map(np.array, build.network(config).init({'params': jax.random.key(0),
                                                                  'dropout': jax.random.key(1)}))
  variables['params']['head']['bias'][-1] = -50.0  # the presence logit
  readers.Reader(config, variables).save(str(tmp_path / 'r.msgpack'))
  photo = str(clock_photos / 'photo.jpg')
  result = _read_clock(f'--reader={tmp_path / "r.msgpack"}', f'--csv={tmp_path / "t.csv"}', photo)
  assert result.returncode == 0, result.stderr
  assert result.stdout == f'{photo}\tno clock\n'
  (row,) = csv.DictReader((tmp_path / 't.csv').open())
  assert row['hour'] == row['minute'] == '' and float(row['clock_probability']) == pytest.approx(0)
