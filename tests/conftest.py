"""Fixtures several test modules share, and one compilation cache for the whole run."""
import os
import shutil
import tempfile

# Most tests compile the same small models, in this process or in a subprocess: XLA's persistent cache lets each
# program compile once per run. The folder is this run's own: the first process names it, and xdist's workers and
# the tests' subprocesses inherit the variable. So no test reads a program compiled by other code.
_COMPILATION_CACHE = os.path.join(tempfile.gettempdir(), f'timeread-jax-tests-{os.getpid()}')
os.environ.setdefault('JAX_COMPILATION_CACHE_DIR', _COMPILATION_CACHE)

import pytest  # pylint: disable=g-import-not-at-top,wrong-import-position

from timeread_jax import clocks  # pylint: disable=wrong-import-position
from timeread_jax import train
from timeread_jax.config import Config


@pytest.fixture(scope='session')
def clock_dir(tmp_path_factory):
  """160 rendered clocks in the Leiden layout, made once for the whole session's training runs."""
  path = tmp_path_factory.mktemp('clocks')
  clocks.save_leiden(str(path), *clocks.make_clocks(160, seed=3))
  return str(path)


@pytest.fixture(scope='session')
def trained(clock_dir, tmp_path_factory):
  """(workdir, config, results) of one epoch of a small two-head reader on the 160 clocks of `clock_dir`."""
  workdir = tmp_path_factory.mktemp('reader_run')
  config = Config(experiment='clock_twohead', data='clocks', data_dir=clock_dir, model='clocknet',
                        model_options={'widths': (8, 8, 16, 16), 'dense': 32}, representation='twohead',
                        image_size=75, epochs=1, batch_size=16, learning_rate=1e-3)
  return str(workdir), config, train.train_and_evaluate(config, str(workdir))


def pytest_sessionfinish(session):  # pylint: disable=unused-argument
  if os.environ['JAX_COMPILATION_CACHE_DIR'] == _COMPILATION_CACHE:  # the process that named it: the run's end
    shutil.rmtree(_COMPILATION_CACHE, ignore_errors=True)
