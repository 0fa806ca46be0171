"""Two processes on 127.0.0.1 train one model together, as two single-device hosts would."""
import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from timeread_jax import distributed
from timeread_jax.results import read_history

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_RUN = '''
import json, sys
from timeread_jax import distributed, loop
from timeread_jax.config import Config
distributed.initialize(*json.loads(sys.argv[3]))
loop.train_and_evaluate(Config(**json.loads(sys.argv[1])), sys.argv[2])
'''


def _free_port():
  with socket.socket() as sock:
    sock.bind(('127.0.0.1', 0))
    return sock.getsockname()[1]


def _start_ranks(config, workdir, tmp_path, tag):
  address = f'127.0.0.1:{_free_port()}'
  env = {**os.environ, 'XLA_FLAGS': '--xla_force_host_platform_device_count=1'}
  processes = []
  for rank in (0, 1):  # files, not pipes: a full pipe would stall one rank and both wait
    with open(tmp_path / f'{tag}{rank}.out', 'w') as stdout, open(tmp_path / f'{tag}{rank}.err', 'w') as stderr:
      arguments = [config, str(workdir), json.dumps([address, 2, rank])]
      processes.append(subprocess.Popen([sys.executable, '-c', _RUN, *arguments],
                                        cwd=ROOT, env=env, stdout=stdout, stderr=stderr))
  return processes


def test_two_processes_train_like_one_process_with_two_devices(clock_dir, tmp_path):
  config = json.dumps(dict(experiment='test', data='clocks', data_dir=clock_dir, model='mlp', representation='periodic',
                           model_options={'hidden': [64, 32]}, image_size=75, epochs=2, batch_size=16))
  for rank, process in enumerate(_start_ranks(config, tmp_path / 'two_hosts', tmp_path, 'rank')):
    assert process.wait(timeout=600) == 0, (tmp_path / f'rank{rank}.err').read_text()[-2000:]
  # One mesh of both processes' devices, and only process 0 speaks.
  assert '2 x cpu' in (tmp_path / 'rank0.out').read_text() and 'epoch' not in (tmp_path / 'rank1.out').read_text()

  one_host = subprocess.run([sys.executable, '-c', _RUN, config, str(tmp_path / 'one_host'), json.dumps(['', 0, 0])],
                            cwd=ROOT, env={**os.environ, 'XLA_FLAGS': '--xla_force_host_platform_device_count=2'},
                            capture_output=True, text=True, timeout=600)
  assert one_host.returncode == 0, one_host.stderr[-2000:]
  for two, one in zip(read_history(tmp_path / 'two_hosts'), read_history(tmp_path / 'one_host')):
    for key in ('train_loss', 'val_loss'):
      assert two[key] == pytest.approx(one[key], rel=1e-5), key


def test_a_sigterm_that_reaches_one_host_stops_both_at_the_same_step(clock_dir, tmp_path):
  """Each host saves when any host saw SIGTERM, so neither waits alone at a checkpoint barrier for the other."""
  config = json.dumps(dict(experiment='test', data='clocks', data_dir=clock_dir, model='mlp', representation='periodic',
                           model_options={'hidden': [16]}, image_size=75, epochs=60, batch_size=16))
  workdir = tmp_path / 'two_hosts'
  processes = _start_ranks(config, workdir, tmp_path, 'cut')
  deadline = time.time() + 300
  while not (workdir / 'metrics.jsonl').exists() and time.time() < deadline:
    time.sleep(0.05)
  processes[1].send_signal(signal.SIGTERM)  # only the second host hears it
  for process in processes:
    assert process.wait(timeout=300) != 0
  for rank in (0, 1):
    assert 'stopped by SIGTERM at step' in (tmp_path / f'cut{rank}.err').read_text()
  epochs_done = len(read_history(workdir))
  assert epochs_done < 60
  shorter = json.dumps({**json.loads(config), 'epochs': epochs_done + 2})  # the same run, ended sooner
  for process in _start_ranks(shorter, workdir, tmp_path, 'resumed'):
    assert process.wait(timeout=600) == 0
  assert 'resumed from' in (tmp_path / 'resumed0.out').read_text() and len(read_history(workdir)) == epochs_done + 2


@pytest.mark.parametrize('env, expected', [
    ({}, False), ({'SLURM_NTASKS': '1'}, False), ({'SLURM_NTASKS': '4'}, True),
    ({'TPU_WORKER_HOSTNAMES': 'w0'}, False), ({'TPU_WORKER_HOSTNAMES': 'w0,w1'}, True)])
def test_cluster_launch_is_detected(monkeypatch, env, expected):
  for name in ('SLURM_NTASKS', 'TPU_WORKER_HOSTNAMES', 'MEGASCALE_COORDINATOR_ADDRESS'):
    monkeypatch.delenv(name, raising=False)
  for name, value in env.items():
    monkeypatch.setenv(name, value)
  assert distributed.cluster_launch() == expected
