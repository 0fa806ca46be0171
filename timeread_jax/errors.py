"""The mistakes a user can make: each is a `UserError` whose message is one line naming the input and the fix.

A command-line tool prints such an error once, as one line with exit status 2 (`experiments.cli.run`); anything
else is a bug and keeps its traceback.
"""


class UserError(ValueError):
  """Bad input or settings: the first line of the message says what and how to fix it."""


class ConfigError(UserError):
  """Settings that cannot run together, or a workdir that holds a different run."""


class DataError(UserError):
  """A problem with input data: a file that is missing, unreadable, hostile or of the wrong shape."""


class CheckpointError(UserError):
  """A checkpoint that cannot be restored into this run's state, or cannot be saved."""


class TrainingDiverged(UserError):
  """The loss became NaN or infinite; the last checkpoint holds the last finite state."""


class WorkdirBusy(UserError):
  """Another live run holds the workdir: two writers would interleave its checkpoints."""


def first_line(error: BaseException) -> str:
  """The error's message as one line (its type's name where it has none)."""
  return (str(error).splitlines() or [type(error).__name__])[0]
