"""experiments/gpu_suite.sh on the CPU at toy sizes: every part runs (render, the benchmark, a clock and a fashion
variant, the report, the real-photo scores, the archives), so that a lent GPU's minutes go to measuring."""
import os
import subprocess
import sys
import tarfile

import numpy as np

from tests.fake_data import write_fashion_mnist
from timeread_jax import datasets

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_every_part_of_the_gpu_suite_runs_at_toy_sizes(tmp_path):
  fashion = write_fashion_mnist(tmp_path / 'fashion', num_train=64, num_test=32)
  real = tmp_path / 'real'
  datasets.save_leiden(str(real), np.zeros((4, 75, 75), np.uint8), np.array([[1, 0], [2, 30], [11, 59], [0, 5]]))
  env = {**os.environ, 'PYTHON': sys.executable, 'ROOT': str(tmp_path / 'runs'), 'TIMEREAD_CACHE': str(tmp_path),
         'CLOCKS': '64', 'BENCHMARK': '1', 'BENCH_STEPS': '1', 'BENCH_REPEATS': '1', 'BENCH_FLOAT32': 'clocknet',
         'BENCH_BFLOAT16': 'none', 'ONLY': 'clock_twohead/fixed fashion_cnn/base_3ep',
         'EXTRA_FLAGS': '--num_examples=64 --epochs=1 --batch_size=16', 'REAL_PHOTOS': str(real),
         'FASHION_FLAGS': f'--data_dir={fashion} --val_size=8',
         'CLOCK_FLAGS': '--image_size=75 --widths=8,8,16,16 --dense=32'}
  out = tmp_path / 'out'
  result = subprocess.run(['bash', 'experiments/gpu_suite.sh', str(out), '240'], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
  assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
  assert 'done' in result.stdout.splitlines()[-1]
  with tarfile.open(out / 'results.tar.gz') as archive:
    names = archive.getnames()
  for wanted in ('clock_twohead/fixed/results.json', 'fashion_cnn/base_3ep/results.json', 'fashion_cnn/report.md',
                 'clock_twohead/fixed/real_photos.jsonl', 'benchmark_float32/benchmark.md'):
    assert any(name.endswith(wanted) for name in names), (wanted, result.stdout[-3000:])
  assert not any('/checkpoints/' in name for name in names)
  assert (tmp_path / 'runs' / 'clock_twohead' / 'fixed' / 'real_photos.jsonl').read_text().count('\n') == 2
