"""The training loop on a few hundred synthetic 75 px clocks: outputs, resume, refusals, divergence, evaluation."""
import dataclasses
import json
import os

import numpy as np
import pytest

from timeread_jax import clocks
from timeread_jax import models
from timeread_jax import train


@pytest.fixture(scope='module')
def clock_dir(tmp_path_factory):
  """160 rendered clocks in the Leiden layout, shared by this module's runs."""
  path = tmp_path_factory.mktemp('clocks')
  clocks.save_leiden(str(path), *clocks.make_clocks(160, seed=3))
  return str(path)


def _config(clock_dir, **overrides):
  fields = dict(experiment='test', data='clocks', data_dir=clock_dir, model='clocknet', representation='twohead',
                model_options={'widths': (8, 8, 16, 16), 'dense': 32},  # small: compiles and runs fast
                image_size=75, epochs=2, batch_size=16, learning_rate=1e-3, seed=0)
  return train.Config(**{**fields, **overrides})


def _history(workdir):
  with open(os.path.join(workdir, 'metrics.jsonl')) as f:
    return [{k: v for k, v in json.loads(line).items() if k != 'epoch_seconds'} for line in f]


def test_a_run_writes_every_output(clock_dir, tmp_path):
  results = train.train_and_evaluate(_config(clock_dir), str(tmp_path), flags_text='--epochs=2\n')
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


def test_resuming_gives_the_same_run_as_no_interruption(clock_dir, tmp_path):
  straight, interrupted = str(tmp_path / 'straight'), str(tmp_path / 'interrupted')
  expected = train.train_and_evaluate(_config(clock_dir, epochs=3), straight)
  train.train_and_evaluate(_config(clock_dir, epochs=1), interrupted)
  resumed = train.train_and_evaluate(_config(clock_dir, epochs=3), interrupted)  # more epochs: same run
  assert _history(interrupted) == _history(straight)
  assert resumed['test_cse_minutes'] == expected['test_cse_minutes']
  assert resumed['epochs'] == 3


def test_early_stopping_ends_the_run(clock_dir, tmp_path):
  results = train.train_and_evaluate(_config(clock_dir, epochs=8, patience=1, learning_rate=0.05), str(tmp_path))
  history = _history(str(tmp_path))
  assert results['epochs'] == len(history) == results['best_epoch'] + 1 < 8


def test_a_workdir_of_another_run_is_refused_untouched(clock_dir, tmp_path):
  train.train_and_evaluate(_config(clock_dir, epochs=1), str(tmp_path))
  before = (tmp_path / 'config.json').read_text()
  with pytest.raises(train.ConfigError, match='representation differ'):
    train.train_and_evaluate(_config(clock_dir, epochs=1, representation='periodic'), str(tmp_path))
  assert (tmp_path / 'config.json').read_text() == before


def test_divergence_stops_with_the_step_and_keeps_no_bad_checkpoint(clock_dir, tmp_path):
  config = _config(clock_dir, epochs=3, representation='regress', optimizer='sgd', learning_rate=1e12)
  with pytest.raises(train.TrainingDiverged, match=r'at step \d+'):
    train.train_and_evaluate(config, str(tmp_path))
  assert os.listdir(tmp_path / 'checkpoints' / 'latest') == []  # the diverged first epoch saved nothing
  assert not os.path.exists(tmp_path / 'metrics.jsonl')


@pytest.mark.parametrize('representation, options', [
    ('classify', {'num_classes': 720}), ('regress', {'cyclic': True}), ('periodic', {'hands': True})])
def test_every_representation_trains(clock_dir, tmp_path, representation, options):
  config = _config(clock_dir, epochs=1, representation=representation, representation_options=options)
  results = train.train_and_evaluate(config, str(tmp_path))
  assert np.isfinite(results['test_loss']) and 0 <= results['test_cse_minutes'] <= 360


def test_fresh_data_renders_training_batches(clock_dir, tmp_path):
  results = train.train_and_evaluate(_config(clock_dir, epochs=1, fresh_data=True), str(tmp_path))
  assert np.isfinite(results['train_seconds'])
  assert np.isfinite(_history(str(tmp_path))[0]['train_loss'])


def test_seeds_report_mean_and_spread(clock_dir, tmp_path):
  summary = train.train_and_evaluate_seeds(_config(clock_dir, epochs=1), str(tmp_path), num_seeds=2)
  assert summary['seeds'] == [0, 1]
  assert os.path.exists(tmp_path / 'seed_1' / 'results.json')
  runs = [json.loads((tmp_path / f'seed_{s}' / 'results.json').read_text())['test_loss'] for s in (0, 1)]
  assert summary['test_loss'] == pytest.approx(np.mean(runs))
  assert summary['test_loss_std'] == pytest.approx(np.std(runs))


def test_restore_best_reads_what_training_kept(clock_dir, tmp_path):
  config = _config(clock_dir, epochs=1)
  results = train.train_and_evaluate(config, str(tmp_path))
  trainer, state = train.restore_best(str(tmp_path))
  splits = train.load_data(config)
  per_example = trainer.evaluate(state, *splits.test)
  assert train.summarize(per_example, 'test_')['test_loss'] == pytest.approx(results['test_loss'], rel=1e-5)
  readings = train.decode_times(trainer, per_example['outputs'])
  assert readings.shape == (len(splits.test[0]), 2) and readings.dtype == np.int64
  assert np.all((readings[:, 0] >= 0) & (readings[:, 0] < 12) & (readings[:, 1] >= 0) & (readings[:, 1] < 60))


@pytest.mark.parametrize('requested, steps, on_cpu_conv, expected', [
    (0, 12, False, 12), (0, 12, True, 1), (5, 12, False, 4), (7, 7, False, 7), (100, 12, False, 12), (4, 13, True, 1)])
def test_steps_per_call_divides_the_epoch(monkeypatch, requested, steps, on_cpu_conv, expected):
  monkeypatch.setattr(train.jax, 'default_backend', lambda: 'cpu')
  model = models.build('clocknet' if on_cpu_conv else 'mlp', 2)
  config = dataclasses.replace(_config(''), steps_per_call=requested)
  assert train.steps_per_call(config, steps, model) == expected
