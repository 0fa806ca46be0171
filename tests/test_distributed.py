"""Two processes on 127.0.0.1 train one model together, as two single-device hosts would."""
import json
import os
import socket
import subprocess
import sys

import pytest

from timeread_jax import clocks
from timeread_jax import distributed

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_RUN = '''
import json, sys
from timeread_jax import distributed, train
from timeread_jax.config import Config
distributed.initialize(*json.loads(sys.argv[3]))
train.train_and_evaluate(Config(**json.loads(sys.argv[1])), sys.argv[2])
'''


def _free_port():
  with socket.socket() as sock:
    sock.bind(('127.0.0.1', 0))
    return sock.getsockname()[1]


def _history(workdir):
  with open(os.path.join(workdir, 'metrics.jsonl')) as f:
    return [json.loads(line) for line in f]


def test_two_processes_train_like_one_process_with_two_devices(tmp_path):
  data = tmp_path / 'clocks'
  clocks.save_leiden(str(data), *clocks.make_clocks(120, seed=4))
  config = json.dumps(dict(experiment='test', data='clocks', data_dir=str(data), model='mlp', representation='periodic',
                           model_options={'hidden': [64, 32]}, image_size=75, epochs=2, batch_size=16))
  env = {**os.environ, 'XLA_FLAGS': '--xla_force_host_platform_device_count=1'}
  address = f'127.0.0.1:{_free_port()}'
  logs = [(tmp_path / f'rank{rank}.out', tmp_path / f'rank{rank}.err') for rank in (0, 1)]
  processes = []
  for rank, (out, err) in enumerate(logs):  # files, not pipes: a full pipe would stall one rank and both wait
    with open(out, 'w') as stdout, open(err, 'w') as stderr:
      processes.append(subprocess.Popen([sys.executable, '-c', _RUN, config, str(tmp_path / 'two_hosts'),
                                         json.dumps([address, 2, rank])], cwd=ROOT, env=env, stdout=stdout,
                                        stderr=stderr))
  for process, (_, err) in zip(processes, logs):
    assert process.wait(timeout=600) == 0, err.read_text()[-2000:]
  # One mesh of both processes' devices, and only process 0 speaks.
  assert '2 x cpu' in logs[0][0].read_text() and 'epoch' not in logs[1][0].read_text()

  one_host = subprocess.run([sys.executable, '-c', _RUN, config, str(tmp_path / 'one_host'), json.dumps(['', 0, 0])],
                            cwd=ROOT, env={**os.environ, 'XLA_FLAGS': '--xla_force_host_platform_device_count=2'},
                            capture_output=True, text=True, timeout=600)
  assert one_host.returncode == 0, one_host.stderr[-2000:]
  for two, one in zip(_history(tmp_path / 'two_hosts'), _history(tmp_path / 'one_host')):
    for key in ('train_loss', 'val_loss'):
      assert two[key] == pytest.approx(one[key], rel=1e-5), key


@pytest.mark.parametrize('env, expected', [
    ({}, False), ({'SLURM_NTASKS': '1'}, False), ({'SLURM_NTASKS': '4'}, True),
    ({'TPU_WORKER_HOSTNAMES': 'w0'}, False), ({'TPU_WORKER_HOSTNAMES': 'w0,w1'}, True)])
def test_cluster_launch_is_detected(monkeypatch, env, expected):
  for name in ('SLURM_NTASKS', 'TPU_WORKER_HOSTNAMES', 'MEGASCALE_COORDINATOR_ADDRESS'):
    monkeypatch.delenv(name, raising=False)
  for name, value in env.items():
    monkeypatch.setenv(name, value)
  assert distributed.cluster_launch() == expected
