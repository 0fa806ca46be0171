"""The Task 1 suites: every flagfile makes the run the report describes, and report.py tables every variant."""
import importlib
import json

from absl import flags
import pytest

from experiments import common
from experiments import report
from tests.fake_data import write_fashion_mnist
from tests.test_task1_experiments import REPO, VAL_SIZE, parsed_flags, run_module

FLAGS = flags.FLAGS
_ALL_VARIANTS = [(suite, variant) for suite in report.REPORT for variant in report.suite_variants(suite)]
_MLP_BASE = {'optimizer': 'sgd', 'learning_rate': 0.01, 'batch_size': 32, 'epochs': 30, 'patience': 0}
_CNN_BASE = {'optimizer': 'sgd', 'learning_rate': 0.01, 'batch_size': 64, 'epochs': 20, 'patience': 0}
_FINAL_MLP = {'hidden': [300, 200, 100], 'activation': 'leaky_relu', 'dropout': 0.5}
# The settings the report gives for each variant (Keras defaults where it gives none).
_EXPECTED = {
    ('fashion_mlp', 'base'): {**_MLP_BASE, 'model_options': {}},
    ('fashion_mlp', 'dense200'): {**_MLP_BASE, 'model_options': {'hidden': [300, 200, 100]}},
    ('fashion_mlp', 'batchnorm'): {**_MLP_BASE, 'model_options': {'batch_norm': True}},
    ('fashion_mlp', 'dropout'): {**_MLP_BASE, 'model_options': {'dropout': 0.5}},
    ('fashion_mlp', 'leaky_relu'): {**_MLP_BASE, 'model_options': {'activation': 'leaky_relu'}},
    ('fashion_mlp', 'lr0.01'): {**_MLP_BASE, 'model_options': {}},
    ('fashion_mlp', 'lr0.001'): {**_MLP_BASE, 'learning_rate': 0.001, 'model_options': {}},
    ('fashion_mlp', 'epochs40'): {**_MLP_BASE, 'epochs': 40, 'model_options': {}},
    ('fashion_mlp', 'early_stopping'): {**_MLP_BASE, 'patience': 7, 'epochs': 100, 'model_options': {}},
    ('fashion_mlp', 'final'): {**_MLP_BASE, 'patience': 7, 'epochs': 68, 'model_options': _FINAL_MLP},
    ('fashion_mlp', 'es_lr0.01'): {**_MLP_BASE, 'patience': 7, 'epochs': 100, 'model_options': {}},
    ('fashion_cnn', 'base'): {**_CNN_BASE, 'model_options': {}},
    ('fashion_cnn', 'base_3ep'): {**_CNN_BASE, 'epochs': 3, 'model_options': {}},
    ('fashion_cnn', 'extra_conv'): {**_CNN_BASE, 'epochs': 3, 'model_options': {'extra_conv': True}},
    ('fashion_cnn', 'leaky_relu'): {**_CNN_BASE, 'epochs': 3, 'model_options': {'activation': 'leaky_relu'}},
    ('fashion_cnn', 'dropout0.25'): {**_CNN_BASE, 'epochs': 3, 'model_options': {'last_dropout': 0.25}},
    ('fashion_cnn', 'adadelta'): {**_CNN_BASE, 'epochs': 3, 'optimizer': 'adadelta', 'learning_rate': 0.001,
                                  'model_options': {}},
    ('fashion_cnn', 'valid_padding'): {**_CNN_BASE, 'epochs': 3, 'model_options': {'padding': 'VALID'}},
    ('fashion_cnn', 'resnet'): {'model': 'resnet', 'model_options': {}, 'augment': True, 'optimizer': 'nadam',
                                'schedule': 'cosine', 'monitor': 'val_accuracy', 'batch_size': 128, 'epochs': 40},
    ('cifar10_transfer', 'mlp_final'): {**_MLP_BASE, 'patience': 7, 'epochs': 200, 'model': 'mlp',
                                        'model_options': _FINAL_MLP},
    ('cifar10_transfer', 'base'): {**_CNN_BASE, 'epochs': 24, 'model': 'geron_cnn', 'model_options': {}},
    ('cifar10_transfer', 'dropout0.25'): {**_CNN_BASE, 'epochs': 24, 'model_options': {'last_dropout': 0.25}},
}


def test_the_report_numbers_and_the_flagfiles_name_the_same_variants():
  for suite, reported in report.REPORT.items():
    assert report.suite_variants(suite) == list(reported), suite


@pytest.mark.parametrize('suite, variant', _ALL_VARIANTS)
def test_every_flagfile_makes_the_run_it_says(suite, variant, monkeypatch):
  """Parses the flagfile and runs the experiment's main with training replaced by keeping its config."""
  monkeypatch.chdir(REPO)
  path = REPO / 'experiments' / 'flags' / suite / f'{variant}.flags'
  comment = path.read_text().splitlines()[0]
  assert comment.startswith('# ') and len(comment) <= 120  # one sentence: what the variant is
  module = importlib.import_module(f'experiments.{suite}')
  configs = []
  monkeypatch.setattr(common, 'run', configs.append)
  with parsed_flags(f'--flagfile={path.relative_to(REPO)}'):
    module.main([suite])
    assert FLAGS.workdir == f'workdirs/{suite}/{variant}'
  (config,) = configs
  assert (config.experiment, config.representation) == (suite, 'categorical')
  assert config.data == ('cifar10' if suite == 'cifar10_transfer' else 'fashion_mnist')
  expected = _EXPECTED.get((suite, variant), {})
  assert {name: getattr(config, name) for name in expected} == expected


def _report(tmp_path, *args):
  return run_module('report', f'--workdir_root={tmp_path / "workdirs"}', '--epochs=1', '--num_examples=16', *args)


def test_report_runs_the_chosen_variants_and_tables_them_all(tmp_path):
  data_dir = write_fashion_mnist(tmp_path / 'data')
  completed = _report(tmp_path, '--suite=fashion_mlp', '--variants=base', f'--data_dir={data_dir}',
                      f'--val_size={VAL_SIZE}', '--batch_size=8')
  assert completed.returncode == 0, completed.stderr
  suite_root = tmp_path / 'workdirs' / 'fashion_mlp'
  table = (suite_root / 'report.md').read_text()
  rows = {line.split(' | ')[0][2:]: line for line in table.splitlines() if line.startswith('| ')}
  assert set(report.REPORT['fashion_mlp']) < set(rows)
  assert '87.4%' in rows['base'] and '| 1 (1) |' in rows['base'] and 'first 16 examples' in rows['base']
  assert '| not run |' in rows['leaky_relu']
  assert (suite_root / 'learning_curves.png').stat().st_size > 0
  assert rows['base'] in completed.stdout


def test_report_marks_a_failed_variant_and_ends_in_exit_status_2(tmp_path):
  completed = _report(tmp_path, '--suite=cifar10_transfer', '--variants=base', f'--data_dir={tmp_path / "nowhere"}')
  assert completed.returncode == 2
  assert completed.stderr.splitlines()[-1] == 'error: 1 variant(s) failed: base (see the table)'
  assert 'CIFAR-10 not found' in completed.stderr
  row = next(line for line in completed.stdout.splitlines() if line.startswith('| base |'))
  assert '| failed |' in row and 'exit status 2' in row


def test_report_bad_flags_end_in_one_line(tmp_path):
  completed = _report(tmp_path, '--suite=fashion_mlp', '--variants=base,nope')
  assert completed.returncode == 2 and completed.stderr.count('\n') == 1
  assert completed.stderr.startswith('error: ') and '--variants must name flagfiles of the suite' in completed.stderr


@pytest.mark.parametrize('args, message', [
    (['--suite=fashion_mlp', 'stray'], 'unexpected arguments: stray'),
    ([], '--suite is required'),
    (['--suite=fashion_mlp', '--workdir=elsewhere'], 'use --workdir_root instead of --workdir'),
])
def test_report_refuses_what_it_cannot_do(args, message, capsys):
  with pytest.raises(SystemExit) as exit_info, parsed_flags(*[arg for arg in args if arg.startswith('--')]):
    report.main(['report', *[arg for arg in args if not arg.startswith('--')]])
  assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_report_forwards_the_experiment_flags_given_to_it():
  with parsed_flags('--suite=fashion_mlp', '--epochs=2', '--hidden=8,4', '--nobatch_norm', '--workdir_root=x'):
    assert report.experiment_overrides() == ['--epochs=2', '--hidden=8,4', '--nobatch_norm']


def _write_run(workdir, results, history_dir='', config=None):
  (workdir / history_dir).mkdir(parents=True)
  history = [{'epoch': epoch, 'train_loss': 1.0 / epoch, 'train_accuracy': 0.5, 'val_loss': 0.9 / epoch,
              'val_accuracy': 0.6} for epoch in (1, 2, 3)]
  (workdir / history_dir / 'metrics.jsonl').write_text(''.join(json.dumps(record) + '\n' for record in history))
  config = {'num_examples': 0, **(config or {})}
  (workdir / 'results.json').write_text(json.dumps({'device': '1 x cpu', 'config': config, **results}))


def test_screening_variants_compare_validation_metrics(tmp_path):
  """The report screened CNNs on validation after 3 epochs: ours are the best epoch's validation metrics."""
  results = {'test_accuracy': 0.1, 'test_loss': 9.0, 'val_accuracy': 0.777, 'val_loss': 0.3, 'epochs': 3,
             'best_epoch': 3, 'train_seconds': 200.0}
  _write_run(tmp_path / 'fashion_cnn' / 'extra_conv', results)
  table = report.write_report('fashion_cnn', str(tmp_path / 'fashion_cnn'), failures={})
  row = next(line for line in table.splitlines() if line.startswith('| extra_conv |'))
  assert row.startswith('| extra_conv | val after 3 epochs | 76.9% | 0.634 | 3 | 77.7% | 0.300 | 3 (3) | 3.3 min |')
  assert (tmp_path / 'fashion_cnn' / 'learning_curves.png').exists()


def test_several_seeds_show_their_spread(tmp_path):
  results = {'seeds': [0, 1], 'test_accuracy': 0.88, 'test_accuracy_std': 0.002, 'test_loss': 0.33,
             'test_loss_std': 0.01, 'epochs': 30.0, 'best_epoch': 29.5, 'train_seconds': 40.0}
  _write_run(tmp_path / 'fashion_mlp' / 'base', results, history_dir='seed_0')
  table = report.write_report('fashion_mlp', str(tmp_path / 'fashion_mlp'), failures={})
  row = next(line for line in table.splitlines() if line.startswith('| base |'))
  assert '| 88.0% ± 0.2% | 0.330 ± 0.010 | 30 (29.5) | 40 s | 1 x cpu |' in row and 'seeds 0, 1' in row
  assert (tmp_path / 'fashion_mlp' / 'learning_curves.png').exists()


def test_a_variant_picked_by_another_metric_says_so(tmp_path):
  results = {'test_accuracy': 0.9, 'test_loss': 0.3, 'epochs': 60, 'best_epoch': 46, 'train_seconds': 900.0}
  _write_run(tmp_path / 'fashion_mlp' / 'ours', results, config={'monitor': 'val_accuracy'})
  table = report.write_report('fashion_mlp', str(tmp_path / 'fashion_mlp'), failures={})
  row = next(line for line in table.splitlines() if line.startswith('| ours |'))
  assert row.endswith('| 60 (46) | 15.0 min | 1 x cpu | ours, beyond the report; best epoch by val_accuracy |')
