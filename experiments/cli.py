"""The edge between a user and a program: flag errors and user mistakes (`errors.UserError`, and what the system
refuses: a full disk, a folder it may not write) end in one line and exit status 2."""
import os
import signal
import sys
from typing import Callable, NoReturn

from absl import app
from absl import flags
from absl import logging

from timeread_jax import errors


def fail(message: str) -> NoReturn:
  """Ends the program on a user mistake: one line on stderr, exit status 2, no traceback."""
  print(f'error: {message}', file=sys.stderr)
  sys.exit(2)


def require(name: str, what: str):
  """The value of --`name`, or the end of the program in one line when it was not given."""
  value = flags.FLAGS[name].value
  if value is None or value == '':
    fail(f'--{name} is required: {what}')
  return value


def _reporting_user_errors(main: Callable[[list[str]], None], argv: list[str]) -> None:
  try:
    main(argv)
  except BrokenPipeError:
    raise
  except (errors.UserError, OSError) as error:
    fail(errors.first_line(error))


def _parse_flags(argv: list[str]) -> list[str]:
  try:
    remaining = flags.FLAGS(argv)
  except flags.Error as error:
    fail(str(error).splitlines()[0])
  if not flags.FLAGS['verbosity'].present:
    logging.set_verbosity(logging.WARNING)  # Orbax logs every save at INFO
  return remaining


def run(main: Callable[[list[str]], None]) -> None:
  """`app.run` with flag errors and user mistakes as one line and exit status 2, and library INFO logs off
  (--verbosity=0 shows them).

  A reader that closes the output early (`| head`) ends the program quietly, with a shell's status for SIGPIPE.
  """
  try:
    app.run(lambda argv: _reporting_user_errors(main, argv), flags_parser=_parse_flags)
  except BrokenPipeError:
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so that the flush at exit does not raise too
    sys.exit(128 + signal.SIGPIPE)
