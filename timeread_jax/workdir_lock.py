"""One writer per workdir: two runs started on the same one (two terminals, a requeue while the old job lives) would
interleave their checkpoints, so the second is refused in one line that names the first.

The lock is a POSIX record lock (`fcntl.lockf`) on `WORKDIR/.lock`: it works on most network filesystems, and the
kernel drops it when its process dies, so a run killed with SIGKILL leaves no stale lock for the next run to clear.
Such a lock belongs to the process and goes with the first close of ANY descriptor of the file in that process, so
this process never opens the file twice: a second `hold` of a held workdir is refused from memory.
"""
import contextlib
import datetime
import errno
import fcntl
import os
import socket
import threading
from typing import Iterator

from timeread_jax.errors import WorkdirBusy

LOCK_FILE = '.lock'  # a dot file: nothing that lists a workdir's runs, seeds or checkpoints takes it for one

_held: dict[str, str] = {}  # lock file's real path -> the holder's line, for the workdirs this process holds
_held_guard = threading.Lock()


def _busy(workdir: str, holder: str) -> WorkdirBusy:
  holder = holder or 'a process that has not said which'
  return WorkdirBusy(f'{workdir} is in use by another run ({holder}): wait for it to finish, stop it, '
                     'or use another --workdir')


@contextlib.contextmanager
def hold(workdir: str, is_main: bool = True) -> Iterator[None]:
  """Holds `workdir` for this run, or raises `WorkdirBusy`. Only the main process writes: others hold nothing."""
  if not is_main:
    yield
    return
  path = os.path.realpath(os.path.join(workdir, LOCK_FILE))
  with _held_guard:
    if path in _held:  # here a second lockf would succeed, and closing its file would free the first
      raise _busy(workdir, _held[path])
    _held[path] = ''
  try:
    # Opened without truncating, so that a refused run leaves the holder's line; closed, it frees the lock.
    with open(os.open(path, os.O_RDWR | os.O_CREAT, 0o644), 'r+', encoding='utf-8', errors='replace') as file:
      try:
        fcntl.lockf(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
      except OSError as error:
        if error.errno not in (errno.EACCES, errno.EAGAIN):
          raise
        raise _busy(workdir, file.readline().strip()) from None
      start = datetime.datetime.now().astimezone().isoformat(timespec='seconds')
      holder = f'pid {os.getpid()} on {socket.gethostname()} since {start}'
      _held[path] = holder
      file.truncate(0)
      file.write(holder + '\n')
      file.flush()
      os.fsync(file.fileno())  # for a run on another host that reads it over a network filesystem
      yield
  finally:
    with _held_guard:
      del _held[path]
