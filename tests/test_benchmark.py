"""experiments.benchmark as a user runs it, on a machine without Keras: the table and its JSON, with counted FLOPs."""
import json
import os
import pathlib
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent


def test_flax_alone_tables_speed_and_share_of_peak(tmp_path):
  completed = subprocess.run(
      [sys.executable, '-m', 'experiments.benchmark', '--models=clocknet_s2d', '--conv_steps=1', '--repeats=1',
       '--keras_backend=none', f'--workdir={tmp_path}'],
      cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
      env={**os.environ, 'TIMEREAD_CACHE': str(tmp_path / 'cache')})
  assert completed.returncode == 0, completed.stderr[-3000:]
  summary = json.loads((tmp_path / 'benchmark.json').read_text())
  assert summary['keras_backends'] == [] and summary['peak_gflops'] > 0
  [row] = summary['rows']
  assert row['model'] == 'clocknet_s2d' and row['steps_per_epoch'] == 1
  # XLA's count for one step of the space-to-depth ClockNet on 32 clocks of 75 px: about 86 MFLOP an example.
  assert 75e6 < row['flops_per_example'] < 100e6
  assert row['flax']['gflops_per_second'] == pytest.approx(
      row['flops_per_example'] * row['flax']['examples_per_second'] / 1e9)
  table = (tmp_path / 'benchmark.md').read_text()
  assert table in completed.stdout and f'| clocknet_s2d | 32 | 1 | {row["flops_per_example"] / 1e6:.1f} |' in table
