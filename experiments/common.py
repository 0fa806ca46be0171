"""What every experiment module shares: the exit path for user mistakes (more to come)."""
import sys
from typing import NoReturn


def fail(message: str) -> NoReturn:
  """Ends the program on a user mistake: one line on stderr, exit status 2, no traceback."""
  print(f'error: {message}', file=sys.stderr)
  sys.exit(2)
