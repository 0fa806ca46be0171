"""experiments.make_clocks: a dataset in the Leiden layout, a preview beside real photos, one-line flag errors."""
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from timeread_jax import datasets
from timeread_jax import synthetic


_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _make_clocks_cli(*flags):
  return subprocess.run([sys.executable, '-m', 'experiments.make_clocks', *flags], cwd=_REPO,
                        capture_output=True, text=True, timeout=120, check=False)


def test_cli_writes_the_dataset_and_reports_the_rate(tmp_path):
  """With --held_out_styles, what a held-out run validates on: the unseen dial styles and floors, as the library
  draws them."""
  result = _make_clocks_cli('--count=3', '--render_seed=5', '--held_out_styles', f'--out_dir={tmp_path}')
  assert result.returncode == 0, result.stderr
  assert 'images/s' in result.stdout
  images, labels = datasets.load_leiden(str(tmp_path))
  assert images.shape == (3, 150, 150) and labels.shape == (3, 2)
  expected_images, expected_labels = synthetic.make_clocks(3, 5, styles='unseen')
  np.testing.assert_array_equal(labels, expected_labels)
  np.testing.assert_array_equal(images, expected_images)


def test_cli_previews_renders_beside_every_real_photo(tmp_path):
  """12 real photos: a row of 8, a row of 8 renders, the last 4 (and 4 blank tiles), their 4 renders."""
  real = tmp_path / 'real'
  datasets.save_leiden(str(real), np.zeros((12, 75, 75), np.uint8), np.array([[1, 0], [2, 30], [11, 59]] * 4))
  result = _make_clocks_cli(f'--preview={tmp_path / "p.png"}', f'--beside={real}')
  assert result.returncode == 0, result.stderr
  assert 'rendered 12 clocks' in result.stdout
  with Image.open(tmp_path / 'p.png') as preview:
    assert preview.height == 4 * 180  # plots.save_image_grid: 1.8 inches a row at 100 dpi
  result = _make_clocks_cli(f'--preview={tmp_path / "q.png"}', f'--beside={tmp_path / "nowhere"}')
  assert result.returncode == 2 and 'no such directory' in result.stderr


@pytest.mark.parametrize('flag', ['--count=0', '--count=many', '--out_dir=/proc/no/such/dir'])
def test_cli_bad_flag_is_one_line_and_status_2(flag):
  result = _make_clocks_cli('--out_dir=/tmp/unused', flag) if flag.startswith('--count') else _make_clocks_cli(flag)
  assert result.returncode == 2
  assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith('error:')
