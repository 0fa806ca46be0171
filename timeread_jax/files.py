"""Files written atomically: a reader, or a run killed mid-write, finds the old file or the new one, never half."""
import json
import os
import secrets
from typing import Callable

import numpy as np


def write_atomically(path: str, write: Callable) -> None:
  """Calls `write(file)` on a temporary file beside `path`, then renames it to `path`; a failure leaves nothing."""
  temporary = f'{path}.{os.getpid()}-{secrets.token_hex(4)}.partial'
  try:
    with open(temporary, 'xb') as file:
      write(file)
    os.replace(temporary, path)
  except BaseException as error:
    if os.path.exists(temporary):
      os.unlink(temporary)
    if isinstance(error, OSError) and error.filename is None:  # a failed write() (a full disk) names no file
      raise OSError(error.errno, f'{error.strerror} while writing {path}') from error
    raise


def write_text(path: str, text: str) -> None:
  write_atomically(path, lambda file: file.write(text.encode()))


def write_json(path: str, value) -> None:
  write_text(path, json.dumps(value, indent=2))


def write_npy(path: str, array: np.ndarray) -> None:
  write_atomically(path, lambda file: np.save(file, array))
