"""The clock experiments as a user runs them: every module and flagfile, evaluation, and one-line errors."""
import glob
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from timeread_jax import datasets
from timeread_jax import pictures
from timeread_jax import synthetic


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(module, *args, env=None):
  return subprocess.run([sys.executable, '-m', f'experiments.{module}', *args], cwd=ROOT, capture_output=True,
                        text=True, timeout=300, env={**os.environ, **(env or {})})


def _smoke_flags(workdir, clock_dir):
  return [f'--workdir={workdir}', f'--clock_data_dir={clock_dir}', '--nofresh_data', '--turn_warmup_epochs=0',
          '--image_size=75', '--epochs=1', '--batch_size=16', '--no_clock=0',  # stored clocks: none without one
          '--trunk=report_clock_cnn', '--widths=']  # the small trunk, not the flagfile's


FLAGFILES = sorted(glob.glob(os.path.join(ROOT, 'experiments/flags/clock_*/*.flags')))


# Every module, each with the variant whose representation options no other test trains end to end.


@pytest.mark.parametrize('module, variant', [('clock_twohead', 'base'), ('clock_classify', '720'),
                                             ('clock_regress', 'cyclic'), ('clock_periodic', 'hands'),
                                             ('clock_product', 'any')])
def test_every_clock_experiment_runs_an_epoch(module, variant, clock_dir, tmp_path):
  result = _run(module, f'--flagfile=experiments/flags/{module}/{variant}.flags', *_smoke_flags(tmp_path, clock_dir))
  assert result.returncode == 0, result.stderr[-2000:]
  results = json.loads((tmp_path / 'results.json').read_text())
  assert results['config']['experiment'] == module
  assert results['config']['command'].startswith(f'python -m experiments.{module} --flagfile=experiments/flags/')
  assert np.isfinite(results['test_loss']) and 0 <= results['test_cse_minutes'] <= 360
  assert 'epoch 1/1' in result.stdout


def test_every_clock_flagfile_parses_to_its_own_workdir():
  """Variants are read in-process: all clock experiment modules' flags can live in one FlagValues."""
  import importlib  # pylint: disable=g-import-not-at-top
  from absl import flags  # pylint: disable=g-import-not-at-top
  for name in ('clock_twohead', 'clock_periodic', 'clock_classify', 'clock_regress', 'clock_product'):
    importlib.import_module(f'experiments.{name}')
  workdirs = set()
  for flagfile in FLAGFILES:
    flags.FLAGS.unparse_flags()
    flags.FLAGS(['test', f'--flagfile={flagfile}'])
    workdirs.add(flags.FLAGS.workdir)
  flags.FLAGS.unparse_flags()
  assert len(workdirs) == len(FLAGFILES)


@pytest.mark.parametrize('init_from, warmup_epochs', [('', 10), ('timeread_jax/pretrained/clock_reader.msgpack', 0)])
def test_the_turn_warms_up_for_a_new_reader_only(init_from, warmup_epochs, capsys, monkeypatch):
  """fresh_75px.flags warms the turn up; a stage run from a trained reader with the same flagfile does not."""
  from absl import flags  # pylint: disable=g-import-not-at-top
  from experiments import clock_periodic  # pylint: disable=g-import-not-at-top
  monkeypatch.chdir(ROOT)  # the flagfile names another by its path from the root
  flags.FLAGS.unparse_flags()
  try:
    flags.FLAGS(['test', '--flagfile=experiments/flags/clock_periodic/fresh_75px.flags', f'--init_from={init_from}'])
    config = clock_periodic.make_config()
  finally:
    flags.FLAGS.unparse_flags()
  assert config.fresh_data and config.turn_warmup_epochs == warmup_epochs
  assert ('--turn_warmup_epochs=10 not applied' in capsys.readouterr().err) == bool(init_from)


@pytest.fixture(scope='module')
def periodic_workdir(clock_dir, tmp_path_factory):
  workdir = tmp_path_factory.mktemp('periodic') / 'run'
  result = _run('clock_periodic', *_smoke_flags(workdir, clock_dir))
  assert result.returncode == 0, result.stderr[-2000:]
  return workdir


def test_head_only_epochs_train_a_new_head_on_the_trunk_it_was_given(periodic_workdir, clock_dir, tmp_path):
  import jax  # pylint: disable=g-import-not-at-top
  from timeread_jax import readers  # pylint: disable=g-import-not-at-top
  result = _run('clock_twohead', *_smoke_flags(tmp_path, clock_dir), f'--init_from={periodic_workdir}',
                '--fresh_head', '--head_only_epochs=1')  # all of its one epoch
  assert result.returncode == 0, result.stderr[-2000:]
  given, trained = (readers.open_reader(str(path)) for path in (periodic_workdir, tmp_path))
  assert 'head' in trained.variables['params'] and set(trained.variables['params']) == set(given.variables['params'])
  for name, params in trained.variables['params'].items():
    same = jax.tree.map(np.array_equal, params, given.variables['params'][name])  # the head's shapes differ
    assert all(jax.tree.leaves(same)) == (name != 'head'), name


def test_evaluate_scores_a_workdir_and_writes_readings(periodic_workdir, clock_dir, tmp_path):
  predictions = tmp_path / 'readings.npy'
  result = _run('evaluate', f'--reader={periodic_workdir}', f'--eval_dirs={clock_dir}',
                f'--predictions_out={predictions}')
  assert result.returncode == 0, result.stderr
  metrics = json.loads(result.stdout.strip().splitlines()[-1])
  assert metrics['num_examples'] == 160 and 0 <= metrics['cse_minutes'] <= 360
  readings = np.load(predictions)
  assert readings.shape == (160, 2) and np.issubdtype(readings.dtype, np.integer)


def test_evaluate_scores_several_sets_of_either_size_one_line_each(periodic_workdir, tmp_path):
  """The sim-to-real check: a tiny stand-in for each real development set, one at 75 px and one at 150 px."""
  images, labels = synthetic.make_clocks(6, seed=11)
  datasets.save_leiden(str(tmp_path / 'dev75'), pictures.resize_images(images[:4], 75), labels[:4])
  datasets.save_leiden(str(tmp_path / 'samples150'), images[4:], labels[4:])
  result = _run('evaluate', f'--reader={periodic_workdir}', f'--eval_dirs={tmp_path / "dev75"},'
                f'{tmp_path / "samples150"}', '--rotations=3')
  assert result.returncode == 0, result.stderr
  lines = [json.loads(line) for line in result.stdout.strip().splitlines()]
  assert [(line['data_dir'], line['num_examples'], line['image_size']) for line in lines] == [
      (str(tmp_path / 'dev75'), 4, 75), (str(tmp_path / 'samples150'), 2, 150)]
  assert all(0 <= line['cse_minutes'] <= 360 and line['rotations'] == 3 for line in lines)


def test_evaluate_without_a_workdir_scores_the_shipped_reader_or_a_named_one(clock_dir):
  from timeread_jax import readers  # pylint: disable=g-import-not-at-top
  result = _run('evaluate', f'--eval_dirs={clock_dir}')
  assert result.returncode == 0, result.stderr
  metrics = json.loads(result.stdout.strip().splitlines()[-1])
  assert metrics['reader'] == readers.where('any') and metrics['num_examples'] == 160
  assert 0 <= metrics['cse_minutes'] <= 360
  missing = _run('evaluate', '--reader=/nonexistent.msgpack', f'--eval_dirs={clock_dir}')
  assert missing.returncode == 2 and missing.stderr.strip().splitlines() == [
      'error: /nonexistent.msgpack: no such workdir or reader file (a training workdir, or a .msgpack with its .json)']


def test_evaluate_reads_several_workdirs_as_one_ensemble(periodic_workdir, trained, clock_dir):
  alone, twice = (_run('evaluate', f'--reader={workdirs}', f'--eval_dirs={clock_dir}')
                  for workdirs in (periodic_workdir, f'{periodic_workdir},{periodic_workdir}'))
  assert alone.returncode == twice.returncode == 0, twice.stderr
  alone, twice = (json.loads(result.stdout) for result in (alone, twice))
  assert twice['reader'] == f'{periodic_workdir},{periodic_workdir}'
  assert twice['cse_minutes'] == pytest.approx(alone['cse_minutes'], abs=1e-4)
  mixed = _run('evaluate', f'--reader={periodic_workdir},{trained[0]}', f'--eval_dirs={clock_dir}')
  assert mixed.returncode == 2 and len(mixed.stderr.strip().splitlines()) == 1
  assert 'readers that decode alike' in mixed.stderr


@pytest.mark.parametrize('module, args, message', [
    ('clock_twohead', ['--image_size=100'], 'image_size'),
    ('clock_twohead', ['--epochs=-1'], 'epochs'),
    ('clock_twohead', ['--batch_size=0'], 'batch_size'),
    ('clock_twohead', ['--no_such_flag'], 'no_such_flag'),
    ('clock_twohead', ['--flagfile=/nonexistent.flags'], 'nonexistent.flags'),
    ('clock_classify', ['--num_classes=7'], 'divisor of 720'),
    ('clock_twohead', ['--clock_data_dir=/nonexistent'], '/nonexistent'),
    ('clock_twohead', ['--held_out_styles', '--clock_data_dir=/tmp'], 'held_out_styles'),
    ('clock_twohead', ['--turn_warmup_epochs=2'], 'give --fresh_data, or --turn_warmup_epochs=0'),
    ('clock_twohead', ['--widths=8,x'], 'widths'),
    ('clock_twohead', ['--erase=1.5'], 'erase'),
    ('clock_twohead', ['--image_size=75', '--via_75px=0.5'], 'give --image_size=150'),
    ('clock_periodic', ['--fresh_head'], 'give --init_from too'),
    ('clock_periodic', ['--init_from=timeread_jax/pretrained/clock_reader.msgpack', '--head_only_epochs=2'],
     'give --init_from and --fresh_head'),
    ('clock_periodic', ['--hour_weight=4'], 'give --hands too'),
    ('clock_periodic', ['--hands', '--hour_weight=0'], 'must be positive'),
    ('clock_twohead', ['--trunk=report_clock_cnn', '--widths=8,8,8,8'], 'does not apply to report_clock_cnn'),
    ('evaluate', ['--reader=/tmp', '--eval_dirs=/tmp'], 'no config.json'),
    ('evaluate', ['--eval_dirs=/tmp,/tmp', '--predictions_out=/tmp/p.npy'], 'one --eval_dirs folder'),
    ('clock_twohead', ['--workdir=/etc/hostname/run'], 'Not a directory'),  # a workdir that cannot be made
])
def test_mistakes_end_in_one_line_and_exit_status_2(module, args, message, tmp_path):
  result = _run(module, *([] if module == 'evaluate' else [f'--workdir={tmp_path / "w"}']), *args)
  assert result.returncode == 2, result.stderr[-2000:]
  assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr


def test_an_experiment_on_nan_pixels_ends_in_one_line_and_exit_status_2(tmp_path):
  images = np.zeros((4, 150, 150), np.float32)
  images[2, 10, 10] = np.nan
  data_dir = str(tmp_path / 'data')
  datasets.save_leiden(data_dir, images, np.array([[0, 0], [11, 59], [3, 40], [9, 5]]))
  result = _run('clock_twohead', '--flagfile=experiments/flags/clock_twohead/fixed.flags',
                f'--workdir={tmp_path / "w"}', f'--clock_data_dir={data_dir}', '--epochs=1', '--image_size=75')
  assert result.returncode == 2, result.stderr[-2000:]
  assert len(result.stderr.strip().splitlines()) == 1
  assert os.path.join(data_dir, 'images.npy') in result.stderr and 'NaN' in result.stderr
