"""experiments.conv_benchmark as a user runs it: a row of four speeds for every convolution of the convnets."""
import pathlib
import re
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parent.parent


def test_every_convolution_gets_its_four_speeds():
  completed = subprocess.run([sys.executable, '-m', 'experiments.conv_benchmark', '--batch=1', '--repeats=1'],
                             cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
  assert completed.returncode == 0, completed.stderr[-3000:]
  rows = [line for line in completed.stdout.splitlines() if re.match(r'\| (geron_cnn|clocknet\w*) \|', line)]
  assert len(rows) == 16
  assert '| clocknet | 1 | 150x150x1 | 3x3x16 stride 2 |' in rows[5]
  assert '| clocknet_s2d | 1 | 19x19x16 | 3x3x24 |' in rows[15]
  for row in rows:
    speeds = [float(cell) for cell in row.strip('| ').split(' | ')[-4:]]
    assert all(speed > 0 for speed in speeds), row
