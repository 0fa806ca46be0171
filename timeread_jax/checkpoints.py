"""Orbax checkpoints in `workdir/checkpoints`: `latest` to resume from, `best` (by the monitored
validation metric) to evaluate.

Each holds the training state as a pytree and, beside it, the run's progress as JSON (epoch, history,
early-stopping counters), so a resumed run continues exactly where the saved one stood. Orbax finalizes a
step directory only once it is completely written, so a save cut off by a kill is never restored.
"""
import contextlib
import errno
import json
import os

import jax
import numpy as np
import orbax.checkpoint as ocp

from timeread_jax.errors import CheckpointError


def _options(kind: str) -> ocp.CheckpointManagerOptions:
  # Both managers may save the same step: their cross-host barriers need names of their own.
  return ocp.CheckpointManagerOptions(
      max_to_keep=1, create=True,
      multiprocessing_options=ocp.options.MultiprocessingOptions(barrier_sync_key_prefix=kind))


class Checkpoints:
  """The two checkpoint managers of one workdir. Use as a context manager: exit waits for async saves."""

  def __init__(self, workdir: str):
    directory = os.path.join(os.path.abspath(workdir), 'checkpoints')
    self._managers = {
        kind: ocp.CheckpointManager(os.path.join(directory, kind), options=_options(kind), item_handlers={
            'state': ocp.StandardCheckpointHandler(), 'progress': ocp.JsonCheckpointHandler()})
        for kind in ('latest', 'best')}

  def save(self, kind: str, step: int, state, progress: dict) -> None:
    """Saves in the background. `progress` is copied now: Orbax writes its JSON later, and training goes on
    changing the dict meanwhile, which once left epoch 2's progress beside epoch 1's state."""
    with self._saving(kind):
      self._managers[kind].save(step, args=ocp.args.Composite(
          state=ocp.args.StandardSave(state), progress=ocp.args.JsonSave(json.loads(json.dumps(progress)))))

  def restore(self, kind: str, abstract_state):
    """(state, progress) of the newest `kind` checkpoint, or None where there is none yet."""
    manager = self._managers[kind]
    with self._saving(kind):  # a save still in flight must fail as a save, not as a corrupt checkpoint
      manager.wait_until_finished()
    step = manager.latest_step()
    if step is None:
      return None
    where = manager.directory / str(step)
    try:
      # Shapes first: a restore that fails on one array leaves reads of the others running, which print tracebacks
      # when the program exits.
      stored, wanted = _shapes(manager.item_metadata(step)['state']), _shapes(abstract_state)
      if stored != wanted:
        name = next(name for name in sorted(stored.keys() | wanted.keys()) if stored.get(name) != wanted.get(name))
        raise CheckpointError(
            f'cannot restore {where}: it holds another model or an older layout of the training state ({name}: '
            f'stored {stored.get(name, "nothing")}, this run {wanted.get(name, "nothing")}); move it away to start '
            'over')
      restored = manager.restore(step, args=ocp.args.Composite(
          state=ocp.args.StandardRestore(abstract_state), progress=ocp.args.JsonRestore()))
    except CheckpointError:
      raise
    except Exception as error:  # pylint: disable=broad-except  # Orbax raises many types for a bad checkpoint
      raise CheckpointError(f'cannot restore {where} ({type(error).__name__}): corrupt; move it away to start '
                            'over') from error
    return restored.state, restored.progress

  def restore_weights(self, kind: str, one_seed: dict):
    """The params and batch_stats of the newest `kind` checkpoint as numpy arrays, with the leading seed axis, or
    None where there is none yet: what a reader needs, without the optimizer state or the model's device mesh.
    `one_seed` gives their structure and shapes for one seed (e.g. build.Network.variable_shapes)."""
    manager = self._managers[kind]
    step = manager.latest_step()
    if step is None:
      return None
    where = manager.directory / str(step)
    stored = _shapes({name: manager.item_metadata(step)['state'].get(name) or {} for name in one_seed})
    seeds = next(iter(stored.values()))[:1]
    wanted = jax.tree.map(lambda x: jax.ShapeDtypeStruct(seeds + x.shape, x.dtype), one_seed)
    if stored != _shapes(wanted):
      raise CheckpointError(f'cannot read the weights in {where}: they are of another model or an older layout')
    reader = ocp.CheckpointManager(manager.directory, item_handlers={'state': ocp.PyTreeCheckpointHandler()})
    try:
      restored = reader.restore(step, args=ocp.args.Composite(state=ocp.args.PyTreeRestore(
          item=wanted, restore_args=jax.tree.map(lambda _: ocp.RestoreArgs(restore_type=np.ndarray), wanted),
          partial_restore=True)))
    except Exception as error:  # pylint: disable=broad-except  # Orbax raises many types for a bad checkpoint
      raise CheckpointError(f'cannot restore {where} ({type(error).__name__}): corrupt; move it away') from error
    finally:
      reader.close()
    return restored.state

  def close(self) -> None:
    """Waits for both managers' saves and closes them, then raises the first save that failed."""
    failures = []
    for kind, manager in self._managers.items():
      # Orbax raises each failure once, where it is first waited for; close() after a failed wait still waits for
      # the writes that the failed finalization left running.
      for finish in (manager.wait_until_finished, manager.close):
        try:
          with self._saving(kind):
            finish()
        except CheckpointError as failure:
          failures.append(failure)
    if failures:
      raise failures[0]

  @contextlib.contextmanager
  def _saving(self, kind: str):
    """Saves finish in the background: a write that failed is raised by a later call, as whatever Orbax or
    tensorstore hit first (OSError, ValueError...). Orbax deletes no older step before a new one is complete."""
    try:
      yield
    except Exception as error:  # pylint: disable=broad-except
      directory = self._managers[kind].directory
      if os.strerror(errno.ENOSPC) in str(error):  # an OSError's text, and tensorstore's
        raise CheckpointError(f'no space left on device while saving the checkpoint into {directory}: the disk is '
                              'full; free space and rerun the same command to resume') from error
      first_line = str(error).partition('\n')[0]
      raise CheckpointError(f'cannot save the checkpoint into {directory} ({type(error).__name__}: '
                            f'{first_line})') from error

  def __enter__(self):
    return self

  def __exit__(self, *exc_info):
    self.close()


def _shapes(tree) -> dict[str, tuple[int, ...]]:
  """Each array's shape by its path of names, alike for a saved tree's metadata and for the state it restores into."""
  def name(key):
    return str(getattr(key, 'key', getattr(key, 'name', getattr(key, 'idx', key))))
  return {'/'.join(map(name, path)): tuple(leaf.shape) for path, leaf in jax.tree_util.tree_leaves_with_path(tree)}
