"""The edge between a user and the programs: each flag defined once, and a user's mistake printed in one line."""
import os
import subprocess
import sys

import pytest

from experiments import cli
from timeread_jax import errors

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_every_experiment_module_imports_in_one_process():
  """No flag is defined twice: every module of experiments/ can share one process and its FlagValues."""
  script = ('import importlib, pkgutil, experiments\n'
            'names = [m.name for m in pkgutil.iter_modules(experiments.__path__)]\n'
            'for name in names: importlib.import_module(f"experiments.{name}")\n'
            'print(len(names))')
  result = subprocess.run([sys.executable, '-c', script], cwd=ROOT, capture_output=True, text=True, timeout=300)
  assert result.returncode == 0, result.stderr[-2000:]
  assert int(result.stdout.split()[-1]) == len([name for name in os.listdir(os.path.join(ROOT, 'experiments'))
                                                if name.endswith('.py') and name != '__init__.py'])


@pytest.mark.parametrize('error', [errors.ConfigError('bad settings\nmore detail'), errors.DataError('x.npy: bad'),
                                   errors.WorkdirBusy('w is in use'), OSError(28, 'No space left on device')])
def test_a_user_error_is_one_line_and_exit_status_2(error, capsys):
  def main(argv):
    raise error
  with pytest.raises(SystemExit) as exited:
    cli._reporting_user_errors(main, ['program'])  # pylint: disable=protected-access
  assert exited.value.code == 2
  assert capsys.readouterr().err == f'error: {errors.first_line(error)}\n'


def test_a_bug_keeps_its_traceback():
  def main(argv):
    raise KeyError('a bug')
  with pytest.raises(KeyError):
    cli._reporting_user_errors(main, ['program'])  # pylint: disable=protected-access
