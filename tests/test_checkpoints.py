"""Checkpoints that cannot be restored into this run's state are refused in one line, leaving nothing running."""
import os
import pathlib
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parent.parent

# Twenty arrays saved, then restored into arrays of another shape (here: without the seed axis the state gained).
_SAVE_THEN_RESTORE_ANOTHER_SHAPE = '''
import sys
import jax.numpy as jnp
from timeread_jax import checkpoints
with checkpoints.Checkpoints(sys.argv[1]) as ckpt:
  ckpt.save('latest', 1, {f'w{i}': jnp.zeros((300,)) for i in range(20)}, {'epoch': 1})
try:
  with checkpoints.Checkpoints(sys.argv[1]) as ckpt:
    ckpt.restore('latest', {f'w{i}': jnp.zeros((1, 300)) for i in range(20)})
except checkpoints.CheckpointError as error:
  print(error)
'''


def test_a_checkpoint_of_other_shapes_is_refused_without_tracebacks_at_exit(tmp_path):
  completed = subprocess.run([sys.executable, '-c', _SAVE_THEN_RESTORE_ANOTHER_SHAPE, str(tmp_path)], cwd=REPO,
                             capture_output=True, text=True, timeout=120, check=False,
                             env={**os.environ, 'PYTHONPATH': str(REPO)})
  assert completed.returncode == 0, completed.stderr[-3000:]
  assert completed.stdout.startswith(f'cannot restore {tmp_path}/checkpoints/latest/1: it holds another model')
  assert '(w0: stored (300,), this run (1, 300))' in completed.stdout
  assert 'Traceback' not in completed.stderr  # a failed restore left reads running into the closed event loop
