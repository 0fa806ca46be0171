"""Joining the processes of a multi-host run, so that `train_and_evaluate` sees every host's devices."""
import os

import jax
import numpy as np


def cluster_launch() -> bool:
  """True when a cluster started several processes: SLURM (`srun`) or a multi-worker TPU VM slice."""
  return (int(os.environ.get('SLURM_NTASKS', '1')) > 1
          or ',' in os.environ.get('TPU_WORKER_HOSTNAMES', '')
          or 'MEGASCALE_COORDINATOR_ADDRESS' in os.environ)


def initialize(coordinator_address: str = '', num_processes: int = 0, process_id: int = 0) -> None:
  """Connects to the other processes: explicitly when given a coordinator, else as the cluster says.

  A lone process on a plain machine does nothing. JAX then treats all hosts' devices as one mesh; each process
  feeds its own devices' part of every batch.
  """
  if coordinator_address:
    jax.distributed.initialize(coordinator_address, num_processes, process_id)
  elif cluster_launch():
    jax.distributed.initialize()  # JAX reads the coordinator and ranks from SLURM's or the TPU runtime's setup


def is_main_process() -> bool:
  """Only process 0 writes logs, plots and results; every process takes part in checkpoints."""
  return jax.process_index() == 0


def any_process(flag: bool) -> bool:
  """Whether `flag` holds on any process, as every process learns together (a collective: all must call it).

  So that a SIGTERM that reaches the hosts a chunk apart still makes all of them save at the same step: a host
  that saved alone would wait forever for the others at Orbax's barrier.
  """
  if jax.process_count() == 1:
    return flag
  from jax.experimental import multihost_utils  # pylint: disable=g-import-not-at-top
  return bool(np.any(multihost_utils.process_allgather(np.array([flag]))))
