"""One writer per workdir: a second run is refused in one line naming the holder, and a dead holder's lock is taken
over. POSIX locks belong to a process, so each second run here is another process."""
import os
import pathlib
import re
import signal
import subprocess
import sys

import pytest

from timeread_jax import workdir_lock
from timeread_jax.errors import WorkdirBusy
from timeread_jax.workdir_lock import hold

REPO = pathlib.Path(__file__).resolve().parent.parent
_ENV = {**os.environ, 'PYTHONPATH': str(REPO)}

# Tries the workdir once; prints what became of it.
_TRY = '''
import sys
from timeread_jax.errors import WorkdirBusy
from timeread_jax.workdir_lock import hold
try:
  with hold(sys.argv[1]):
    print('held')
except WorkdirBusy as error:
  print('WorkdirBusy:', error)
'''

# Holds the workdir until killed.
_HOLD = '''
import sys, time
from timeread_jax.workdir_lock import hold
with hold(sys.argv[1]):
  print('held', flush=True)
  time.sleep(600)
'''


def _try_in_another_process(workdir) -> str:
  completed = subprocess.run([sys.executable, '-c', _TRY, str(workdir)], cwd=REPO, env=_ENV, capture_output=True,
                             text=True, timeout=60, check=False)
  assert completed.returncode == 0, completed.stderr[-3000:]
  return completed.stdout.strip()


def _refusal(workdir, pid: int) -> str:
  return (rf'{re.escape(str(workdir))} is in use by another run \(pid {pid} on [^ ]+ since [-0-9T:+]+\): '
          r'wait for it to finish, stop it, or use another --workdir')


def _holder(workdir) -> str:
  return (workdir / workdir_lock.LOCK_FILE).read_text()


def test_another_process_is_refused_naming_this_one(tmp_path):
  with hold(str(tmp_path)):
    output = _try_in_another_process(tmp_path)
    assert re.fullmatch('WorkdirBusy: ' + _refusal(tmp_path, os.getpid()), output), output
    assert _holder(tmp_path).startswith(f'pid {os.getpid()} on ')  # the refused run left the holder's line
  assert '\n' not in output


def test_a_killed_holders_lock_is_taken_over(tmp_path):
  child = subprocess.Popen([sys.executable, '-c', _HOLD, str(tmp_path)], cwd=REPO, env=_ENV, stdout=subprocess.PIPE,
                           text=True)
  try:
    assert child.stdout.readline() == 'held\n'  # '' if it died first
    with pytest.raises(WorkdirBusy, match=_refusal(tmp_path, child.pid)):
      with hold(str(tmp_path)):
        pass
  finally:
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=60)
    child.stdout.close()
  assert child.returncode == -signal.SIGKILL
  with hold(str(tmp_path)):
    assert _holder(tmp_path).startswith(f'pid {os.getpid()} on ')
    assert _holder(tmp_path).count('\n') == 1  # the old holder's line was replaced, not appended to


def test_a_finished_run_frees_the_workdir(tmp_path):
  with hold(str(tmp_path)):
    pass
  assert _try_in_another_process(tmp_path) == 'held'
  with hold(str(tmp_path)):  # and this process may take it again
    pass


def test_the_same_process_holding_it_twice_is_refused_and_keeps_the_lock(tmp_path):
  with hold(str(tmp_path)):
    another_spelling = f'{tmp_path}/.'
    with pytest.raises(WorkdirBusy, match=_refusal(another_spelling, os.getpid())):
      with hold(another_spelling):
        pass
    assert _try_in_another_process(tmp_path).startswith('WorkdirBusy: ')  # the refusal did not free the lock


def test_a_process_other_than_the_main_one_touches_nothing(tmp_path):
  with hold(str(tmp_path), is_main=False):
    with hold(str(tmp_path), is_main=False):
      pass
  assert not list(tmp_path.iterdir())
