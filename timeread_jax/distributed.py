"""Joining the processes of a multi-host run, so that `train_and_evaluate` sees every host's devices."""
import os

import jax


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
