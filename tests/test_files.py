"""Atomic writes: the old file or the new one, never half of one, and a failed write that names its file."""
import errno
import json

import numpy as np
import pytest

from timeread_jax import files


def test_writes_replace_the_file_whole(tmp_path):
  files.write_json(str(tmp_path / 'a.json'), {'x': 1})
  files.write_json(str(tmp_path / 'a.json'), {'x': 2})
  files.write_npy(str(tmp_path / 'b.npy'), np.arange(3))
  assert json.loads((tmp_path / 'a.json').read_text()) == {'x': 2}
  np.testing.assert_array_equal(np.load(tmp_path / 'b.npy'), np.arange(3))
  assert sorted(path.name for path in tmp_path.iterdir()) == ['a.json', 'b.npy']


def test_a_failed_write_keeps_the_old_file_leaves_nothing_and_names_the_file(tmp_path):
  path = tmp_path / 'results.json'
  files.write_text(str(path), 'old')

  def fill_the_disk(file):
    file.write(b'half')
    raise OSError(errno.ENOSPC, 'No space left on device')

  with pytest.raises(OSError, match=f'No space left on device while writing {path}') as error:
    files.write_atomically(str(path), fill_the_disk)
  assert error.value.errno == errno.ENOSPC
  assert path.read_text() == 'old' and [p.name for p in tmp_path.iterdir()] == ['results.json']
