"""Checkpoints hold the progress of the moment they were saved; one that cannot be restored into this run's state
is refused in one line, leaving nothing running."""
import asyncio
import os
import pathlib
import subprocess
import sys

import jax.numpy as jnp
import orbax.checkpoint as ocp

from timeread_jax import checkpoints

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


def test_progress_changed_after_save_is_not_what_the_checkpoint_holds(tmp_path, monkeypatch):
  """Orbax writes the JSON in the background; here it is made late, as a busy machine can make it."""
  write_json = ocp.JsonCheckpointHandler._save_fn  # pylint: disable=protected-access

  async def late_write(self, item, directory):
    await asyncio.sleep(0.5)
    await write_json(self, item, directory)

  monkeypatch.setattr(ocp.JsonCheckpointHandler, '_save_fn', late_write)
  progress = {'epoch': 1, 'history': [[{'epoch': 1}]]}
  with checkpoints.Checkpoints(str(tmp_path)) as ckpt:
    ckpt.save('latest', 7, {'w': jnp.ones(3)}, progress)
    progress['epoch'] = 2  # the training loop goes on with the next epoch
    progress['history'][0].append({'epoch': 2})
  with checkpoints.Checkpoints(str(tmp_path)) as ckpt:
    _, restored = ckpt.restore('latest', {'w': jnp.zeros(3)})
  assert restored == {'epoch': 1, 'history': [[{'epoch': 1}]]}
