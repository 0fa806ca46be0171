"""The training loop on a few hundred synthetic 75 px clocks: outputs, resume, refusals, divergence, evaluation."""
import builtins
import dataclasses
import errno
import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from timeread_jax import checkpoints
from timeread_jax import datasets
from timeread_jax import errors
from timeread_jax import loop
from timeread_jax.steps import Steps
from timeread_jax.errors import ConfigError
from timeread_jax.results import read_history

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _history(workdir):
  """The run's records without their timings, which differ between equal runs."""
  return [{k: v for k, v in record.items() if k != 'epoch_seconds'} for record in read_history(workdir)]


def test_a_run_writes_every_output(small_config, clock_dir, tmp_path):
  results = loop.train_and_evaluate(small_config(clock_dir), str(tmp_path), flags_text='--epochs=2\n')
  for name in ('config.json', 'flags.txt', 'metrics.jsonl', 'results.json', 'plots/learning_curves.png',
               'plots/cse_histogram.png', 'checkpoints/latest', 'checkpoints/best'):
    assert os.path.exists(tmp_path / name), name
  with open(tmp_path / 'results.json') as f:
    written = json.load(f)
  for key in ('test_cse_minutes', 'test_cse_median_minutes', 'test_cse_p90_minutes', 'test_loss', 'epochs',
              'train_seconds', 'test_hour_accuracy'):
    assert key in written, key
  assert written == json.loads(json.dumps(results))
  assert written['epochs'] == 2 and 1 <= written['best_epoch'] <= 2
  assert 0 <= written['test_cse_median_minutes'] <= written['test_cse_p90_minutes'] <= 360
  assert len(_history(str(tmp_path))) == 2


def test_resuming_gives_the_same_run_as_no_interruption(small_config, clock_dir, tmp_path):
  straight, interrupted = str(tmp_path / 'straight'), str(tmp_path / 'interrupted')
  expected = loop.train_and_evaluate(small_config(clock_dir, epochs=3), straight)
  loop.train_and_evaluate(small_config(clock_dir, epochs=1), interrupted)
  resumed = loop.train_and_evaluate(small_config(clock_dir, epochs=3), interrupted)  # more epochs: same run
  assert _history(interrupted) == _history(straight)
  assert resumed['test_cse_minutes'] == expected['test_cse_minutes']
  assert resumed['epochs'] == 3


def test_early_stopping_ends_the_run(small_config, clock_dir, tmp_path):
  results = loop.train_and_evaluate(small_config(clock_dir, epochs=8, patience=1, learning_rate=0.05), str(tmp_path))
  history = _history(str(tmp_path))
  assert results['epochs'] == len(history) == results['best_epoch'] + 1 < 8


@pytest.mark.parametrize('monitor, pick', [('val_hour_accuracy', np.argmax), ('val_cse_minutes', np.argmin)])
def test_the_monitored_metric_picks_the_best_epoch(small_config, clock_dir, tmp_path, monitor, pick):
  config = small_config(clock_dir, epochs=4, learning_rate=0.01, monitor=monitor, model='mlp',
                   model_options={'hidden': (16,)})
  results = loop.train_and_evaluate(config, str(tmp_path))
  values = [record[monitor] for record in _history(str(tmp_path))]
  assert results['best_epoch'] == int(pick(values)) + 1  # the first of equals, as Keras keeps it
  assert results[monitor] == values[results['best_epoch'] - 1]


def test_a_metric_the_run_does_not_validate_is_refused_before_training(small_config, clock_dir, tmp_path):
  small = dict(epochs=1, model='mlp', model_options={'hidden': (16,)})
  with pytest.raises(ConfigError, match="cannot monitor 'val_accuracy': this run validates val_loss, "):
    loop.train_and_evaluate(small_config(clock_dir, monitor='val_accuracy', **small), str(tmp_path))
  assert not os.path.exists(tmp_path / 'config.json') and not os.path.exists(tmp_path / 'checkpoints')
  corrected = loop.train_and_evaluate(small_config(clock_dir, monitor='val_hour_accuracy', **small), str(tmp_path))
  assert corrected['epochs'] == 1


def test_a_run_from_before_a_new_setting_resumes_with_its_default(small_config, clock_dir, tmp_path):
  small = dict(model='mlp', model_options={'hidden': (16,)})
  loop.train_and_evaluate(small_config(clock_dir, epochs=1, **small), str(tmp_path))
  stored = json.loads((tmp_path / 'config.json').read_text())
  del stored['monitor']
  (tmp_path / 'config.json').write_text(json.dumps(stored))
  assert loop.train_and_evaluate(small_config(clock_dir, epochs=2, **small), str(tmp_path))['epochs'] == 2


def test_a_workdir_of_another_run_is_refused_untouched(small_config, clock_dir, tmp_path):
  loop.train_and_evaluate(small_config(clock_dir, epochs=1), str(tmp_path))
  before = (tmp_path / 'config.json').read_text()
  with pytest.raises(ConfigError, match='representation differ'):
    loop.train_and_evaluate(small_config(clock_dir, epochs=1, representation='periodic'), str(tmp_path))
  assert (tmp_path / 'config.json').read_text() == before


def test_divergence_stops_with_the_step_and_keeps_no_bad_checkpoint(small_config, clock_dir, tmp_path):
  config = small_config(clock_dir, epochs=3, representation='regress', optimizer='sgd', learning_rate=1e12)
  with pytest.raises(errors.TrainingDiverged, match=r'at step \d+'):
    loop.train_and_evaluate(config, str(tmp_path))
  assert os.listdir(tmp_path / 'checkpoints' / 'latest') == []  # the diverged first epoch saved nothing
  assert not os.path.exists(tmp_path / 'metrics.jsonl')


def test_fresh_data_renders_training_batches(small_config, clock_dir, tmp_path):
  results = loop.train_and_evaluate(small_config(clock_dir, epochs=1, fresh_data=True), str(tmp_path))
  assert np.isfinite(results['train_seconds'])
  assert np.isfinite(_history(str(tmp_path))[0]['train_loss'])


def test_seeds_train_side_by_side_as_they_would_alone_and_report_mean_and_spread(small_config, clock_dir, tmp_path):
  config = small_config(clock_dir, epochs=2, seed=3, model='mlp', model_options={'hidden': (16,)})  # compiles fast
  summary = loop.train_and_evaluate(dataclasses.replace(config, num_seeds=2), str(tmp_path / 'both'))
  assert summary['seeds'] == [3, 4]
  runs = [json.loads((tmp_path / 'both' / f'seed_{s}' / 'results.json').read_text()) for s in (3, 4)]
  assert summary['test_loss'] == pytest.approx(np.mean([run['test_loss'] for run in runs]))
  assert summary['test_loss_std'] == pytest.approx(np.std([run['test_loss'] for run in runs]))
  assert runs[0]['test_loss'] != runs[1]['test_loss']
  # The first seed trains exactly as it would alone (the data split is the first seed's for all).
  alone = loop.train_and_evaluate(config, str(tmp_path / 'alone'))
  assert runs[0]['test_loss'] == alone['test_loss']
  assert _history(str(tmp_path / 'both' / 'seed_3')) == _history(str(tmp_path / 'alone'))


def test_each_seed_stops_early_on_its_own(small_config, clock_dir, tmp_path):
  config = small_config(clock_dir, epochs=6, patience=1, learning_rate=0.001, num_seeds=3, model='mlp',
                   model_options={'hidden': (16,)})
  summary = loop.train_and_evaluate(config, str(tmp_path))
  epochs = []
  for s in range(3):
    losses = [record['val_loss'] for record in _history(str(tmp_path / f'seed_{s}'))]
    improved = [loss < min(losses[:e], default=np.inf) for e, loss in enumerate(losses)]
    assert all(improved[:-1]) and (len(losses) == 6 or not improved[-1])  # patience 1: it stops at its first miss
    results = json.loads((tmp_path / f'seed_{s}' / 'results.json').read_text())
    assert results['epochs'] == len(losses) and results['best_epoch'] == int(np.argmin(losses)) + 1
    epochs.append(len(losses))
  assert len(set(epochs)) > 1  # the seeds stopped at different epochs
  assert summary['epochs'] == pytest.approx(np.mean(epochs))


def test_a_corrupt_checkpoint_is_refused_in_one_line(small_config, clock_dir, tmp_path):
  loop.train_and_evaluate(small_config(clock_dir, epochs=1), str(tmp_path))
  step_dir = next((tmp_path / 'checkpoints' / 'latest').iterdir())
  for path in (step_dir / 'state').rglob('*'):
    if path.is_file() and path.stat().st_size > 1000:
      path.write_bytes(b'garbage')
  with pytest.raises(checkpoints.CheckpointError, match='cannot restore'):
    loop.train_and_evaluate(small_config(clock_dir, epochs=2), str(tmp_path))


_RUN_ON_DEVICES = '''
import json, sys
from timeread_jax import loop
from timeread_jax.config import Config


config = Config(**json.loads(sys.argv[1]))
loop.train_and_evaluate(config, sys.argv[2])
'''


def _start_and_stop_mid_run(config, workdir, sig):
  """Starts a run in a subprocess, sends `sig` once its first epoch is written, and waits for it to end."""
  process = subprocess.Popen([sys.executable, '-c', _RUN_ON_DEVICES, json.dumps(config), str(workdir)], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
  deadline = time.time() + 300
  while not os.path.exists(workdir / 'metrics.jsonl') and process.poll() is None and time.time() < deadline:
    time.sleep(0.05)
  process.send_signal(sig)
  _, stderr = process.communicate(timeout=300)
  return process.returncode, stderr


@pytest.mark.parametrize('sig', [signal.SIGTERM, signal.SIGKILL], ids=['sigterm', 'sigkill'])
def test_a_killed_run_resumes_to_the_same_result(small_config, clock_dir, tmp_path, sig):
  config = small_config(clock_dir, epochs=3, batch_size=2)  # 57 steps an epoch: the signal lands mid-epoch
  expected = loop.train_and_evaluate(config, str(tmp_path / 'straight'))
  workdir = tmp_path / 'killed'
  returncode, stderr = _start_and_stop_mid_run(dataclasses.asdict(config), workdir, sig)
  assert returncode != 0
  if sig == signal.SIGTERM:
    assert 'stopped by SIGTERM at step' in stderr  # saved where it stood, not at the last epoch's end
  resumed = loop.train_and_evaluate(config, str(workdir))
  assert _history(str(workdir)) == _history(str(tmp_path / 'straight'))
  assert resumed['test_loss'] == expected['test_loss'] and resumed['epochs'] == 3


# Orbax closes the event loop of a failed write while tensorstore still has callbacks for it.


@pytest.mark.filterwarnings('ignore::pytest.PytestUnraisableExceptionWarning')
def test_a_full_disk_ends_the_run_in_one_line_and_keeps_the_saved_epoch(small_config, clock_dir, tmp_path, monkeypatch):
  """The disk fills up in the second epoch's save: Orbax's Python writes into that step fail (tensorstore's, in
  C++, cannot be patched; a real full tmpfs gave the same one line from their ValueError)."""
  config = small_config(clock_dir, model='mlp', model_options={'hidden': (16,)})  # compiles in a fraction of the time
  first_epoch_step = len(datasets.load_splits(config).train[0]) // config.batch_size
  real_open = open

  def open_on_a_filling_disk(file, mode='r', *args, **kwargs):
    step = re.search(r'(\d+)\.orbax-checkpoint-tmp', str(file))
    if step and int(step[1]) > first_epoch_step and mode[0] in 'wax':
      raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(file))
    return real_open(file, mode, *args, **kwargs)

  monkeypatch.setattr(builtins, 'open', open_on_a_filling_disk)
  with pytest.raises(checkpoints.CheckpointError) as error:
    loop.train_and_evaluate(config, str(tmp_path))
  monkeypatch.undo()
  message = str(error.value)
  assert '\n' not in message and 'no space left' in message and str(tmp_path / 'checkpoints') in message
  assert _history(str(tmp_path))[0]['epoch'] == 1
  assert json.loads((tmp_path / 'config.json').read_text())['epochs'] == 2
  with checkpoints.Checkpoints(str(tmp_path)) as ckpt:
    abstract_state = Steps(config, steps_per_epoch=1).init_state()
    best, _ = ckpt.restore('best', abstract_state)
    latest, progress = ckpt.restore('latest', abstract_state)
  assert progress['epoch'] == 1 and np.all(latest.step == first_epoch_step) and np.all(best.step == first_epoch_step)
  assert loop.train_and_evaluate(config, str(tmp_path))['epochs'] == 2  # with space again, the run resumes


def test_a_second_run_on_a_live_run_s_workdir_is_refused_and_the_live_run_finishes(small_config, clock_dir, tmp_path):
  """One writer per workdir: the second run names the first's process and writes nothing; the first finishes as
  it would alone. (A SIGKILLed run's lock is taken over: test_a_killed_run_resumes_to_the_same_result.)"""
  config = small_config(clock_dir, epochs=3, batch_size=2)
  live = subprocess.Popen([sys.executable, '-c', _RUN_ON_DEVICES, json.dumps(dataclasses.asdict(config)),
                           str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
  deadline = time.time() + 300
  while not (tmp_path / 'config.json').exists() and live.poll() is None and time.time() < deadline:
    time.sleep(0.05)
  with pytest.raises(errors.WorkdirBusy, match=rf'in use by another run \(pid {live.pid} on ') as refused:
    loop.train_and_evaluate(config, str(tmp_path))
  assert '\n' not in str(refused.value)
  _, stderr = live.communicate(timeout=300)
  assert live.returncode == 0, stderr[-2000:]
  assert [record['epoch'] for record in _history(str(tmp_path))] == [1, 2, 3]
  assert json.loads((tmp_path / 'results.json').read_text())['epochs'] == 3
