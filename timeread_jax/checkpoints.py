"""Orbax checkpoints in `workdir/checkpoints`: `latest` to resume from, `best` (by validation loss) to evaluate.

Each holds the training state as a pytree and, beside it, the run's progress as JSON (epoch, history,
early-stopping counters), so a resumed run continues exactly where the saved one stood. Orbax finalizes a
step directory only once it is completely written, so a save cut off by a kill is never restored.
"""
import os

import orbax.checkpoint as ocp


def _options(kind: str) -> ocp.CheckpointManagerOptions:
  # Both managers may save the same step: their cross-host barriers need names of their own.
  return ocp.CheckpointManagerOptions(
      max_to_keep=1, create=True,
      multiprocessing_options=ocp.options.MultiprocessingOptions(barrier_sync_key_prefix=kind))


class CheckpointError(ValueError):
  """A checkpoint that cannot be restored into this run's state."""


class Checkpoints:
  """The two checkpoint managers of one workdir. Use as a context manager: exit waits for async saves."""

  def __init__(self, workdir: str):
    directory = os.path.join(os.path.abspath(workdir), 'checkpoints')
    self._managers = {kind: ocp.CheckpointManager(os.path.join(directory, kind), options=_options(kind))
                      for kind in ('latest', 'best')}

  def save(self, kind: str, step: int, state, progress: dict) -> None:
    self._managers[kind].save(step, args=ocp.args.Composite(
        state=ocp.args.StandardSave(state), progress=ocp.args.JsonSave(progress)))

  def restore(self, kind: str, abstract_state):
    """(state, progress) of the newest `kind` checkpoint, or None where there is none yet."""
    manager = self._managers[kind]
    step = manager.latest_step()
    if step is None:
      return None
    try:
      restored = manager.restore(step, args=ocp.args.Composite(
          state=ocp.args.StandardRestore(abstract_state), progress=ocp.args.JsonRestore()))
    except Exception as error:  # pylint: disable=broad-except  # Orbax raises many types for a bad checkpoint
      raise CheckpointError(f'cannot restore {manager.directory / str(step)} ({type(error).__name__}): corrupt or '
                            'from another model; move it away to start over') from error
    return restored.state, restored.progress

  def close(self) -> None:
    for manager in self._managers.values():
      manager.wait_until_finished()
      manager.close()

  def __enter__(self):
    return self

  def __exit__(self, *exc_info):
    self.close()
