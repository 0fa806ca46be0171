"""Task 1 experiments end to end on tiny generated data (one epoch each), and flag mistakes ending in one line."""
import contextlib
import dataclasses
import json
import pathlib
import subprocess
import sys

from absl import flags
import pytest

from experiments import task1
from tests.fake_data import write_cifar10
from tests.fake_data import write_fashion_mnist

FLAGS = flags.FLAGS
REPO = pathlib.Path(__file__).resolve().parent.parent
VAL_SIZE = 16


@contextlib.contextmanager
def parsed_flags(*args: str):
  """The global flags parsed from `args` (flagfiles relative to the repository), reset afterwards."""
  try:
    FLAGS(['prog', *args])
    yield
  finally:
    FLAGS.unparse_flags()


def run_module(module: str, *args: str) -> subprocess.CompletedProcess:
  return subprocess.run([sys.executable, '-m', f'experiments.{module}', *args], cwd=REPO, capture_output=True,
                        text=True, timeout=120, check=False)


@pytest.mark.parametrize('module, flagfile, data', [
    ('fashion_mlp', 'fashion_mlp/final', 'fashion_mnist'),
    ('fashion_cnn', 'fashion_cnn/ours', 'fashion_mnist'),  # batch norm, augmentation, cosine schedule
    # (the other variants' models are built in test_models and their flagfiles parsed in test_report)
    ('cifar10_transfer', 'cifar10_transfer/dropout0.25', 'cifar10'),
])
def test_one_epoch_on_tiny_data_writes_results(tmp_path, module, flagfile, data):
  write = write_fashion_mnist if data == 'fashion_mnist' else write_cifar10
  workdir = tmp_path / 'workdir'
  completed = run_module(module, f'--flagfile=experiments/flags/{flagfile}.flags', f'--workdir={workdir}',
                         f'--data_dir={write(tmp_path / "data")}', f'--val_size={VAL_SIZE}', '--epochs=1',
                         '--batch_size=8', '--num_examples=16')
  assert completed.returncode == 0, completed.stderr
  results = json.loads((workdir / 'results.json').read_text())
  assert {'test_accuracy', 'test_loss', 'epochs', 'train_seconds'} <= set(results)
  assert 0 <= results['test_accuracy'] <= 1 and results['epochs'] == 1
  assert results['config']['data'] == data


@pytest.mark.parametrize('bad_flag, named', [
    ('--hidden=300,abc', '--hidden must be a comma-separated list of positive integers'),
    ('--padding=VALID', '--padding does not apply to mlp'),
])
def test_a_bad_flag_ends_in_one_line_and_exit_status_2(tmp_path, bad_flag, named):
  completed = run_module('fashion_mlp', f'--workdir={tmp_path / "workdir"}', bad_flag)
  assert completed.returncode == 2
  assert completed.stderr.count('\n') == 1 and named in completed.stderr, completed.stderr
  assert not (tmp_path / 'workdir').exists()


def test_a_missing_workdir_ends_in_one_line_and_exit_status_2():
  completed = run_module('fashion_mlp', '--epochs=1')
  assert completed.returncode == 2
  assert completed.stderr == "error: --workdir is required: the folder for the run's checkpoints, metrics and results\n"


@pytest.mark.parametrize('bad_flag', ['--activation=tanh', '--hidden=0', '--dropout=1', '--last_dropout=-0.1',
                                      '--padding=full', '--data=mnist', '--model=vgg'])
def test_bad_values_are_refused_when_flags_are_parsed(bad_flag):
  with pytest.raises(flags.IllegalFlagValueError, match=bad_flag.split('=')[0]):
    with parsed_flags('--workdir=unused', bad_flag):
      pass


@pytest.mark.parametrize('model, given, options', [
    ('mlp', ['--hidden=300,200,100', '--batch_norm'], {'hidden': [300, 200, 100], 'batch_norm': True}),
    ('geron_cnn', ['--padding=valid', '--last_dropout=0.25'], {'padding': 'VALID', 'last_dropout': 0.25}),
    ('geron_cnn', ['--batch_norm'], {'batch_norm': True}),
    ('geron_cnn', [], {}),
])
def test_only_the_given_model_flags_reach_the_model(model, given, options):
  with parsed_flags('--workdir=unused', *given):
    config = task1.make_config('test', model)
  assert config.model_options == options


def test_geron_nadam_trains_as_gerons_notebook_on_standardized_pixels():
  with parsed_flags('--flagfile=experiments/flags/fashion_cnn/geron_nadam.flags'):
    config = task1.make_config('fashion_cnn', 'geron_cnn')
  assert config.standardize and not config.augment
  assert (config.optimizer, config.learning_rate, config.batch_size, config.epochs) == ('nadam', 1e-3, 32, 10)


def test_geron_cosine_is_geron_nadam_with_a_cosine_decay_picked_by_validation_accuracy():
  with parsed_flags('--flagfile=experiments/flags/fashion_cnn/geron_nadam.flags'):
    notebook = task1.make_config('fashion_cnn', 'geron_cnn')
  with parsed_flags('--flagfile=experiments/flags/fashion_cnn/geron_cosine.flags'):
    cosine = task1.make_config('fashion_cnn', 'geron_cnn')
  assert dataclasses.replace(notebook, schedule='cosine', monitor='val_accuracy') == cosine


@pytest.mark.parametrize('model, flag', [('mlp', '--extra_conv'), ('mlp', '--padding=valid'),
                                         ('geron_cnn', '--hidden=10'), ('geron_cnn', '--widths=8,16')])
def test_a_flag_the_model_does_not_read_ends_the_program(model, flag, capsys):
  with pytest.raises(SystemExit) as exit_info, parsed_flags('--workdir=unused', flag):
    task1.make_config('test', model)
  assert exit_info.value.code == 2
  assert capsys.readouterr().err.startswith(f'error: {flag.split("=")[0]} does not apply to {model}')


def test_the_resnet_is_shaped_from_its_flags():
  with parsed_flags('--flagfile=experiments/flags/fashion_cnn/resnet.flags', '--widths=16,32', '--blocks_per_stage=1'):
    config = task1.make_config('fashion_cnn', 'geron_cnn')
  assert config.model == 'resnet' and config.model_options == {'widths': [16, 32], 'blocks_per_stage': 1}
