"""Fixtures several test modules share, and one compilation cache for the whole run."""
import fcntl
import json
import os
import shutil
import tempfile

# Most tests compile the same small models, in this process or in a subprocess: XLA's persistent cache lets each
# program compile once per run. The folder is this run's own: the first process names it, and xdist's workers and
# the tests' subprocesses inherit the variable. So no test reads a program compiled by other code.
_COMPILATION_CACHE = os.path.join(tempfile.gettempdir(), f'timeread-jax-tests-{os.getpid()}')
os.environ.setdefault('JAX_COMPILATION_CACHE_DIR', _COMPILATION_CACHE)
os.environ.setdefault('JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS', '0')  # the small ones too: most are

import pytest  # noqa: E402

from timeread_jax import loop  # noqa: E402
from timeread_jax import datasets  # noqa: E402
from timeread_jax import synthetic  # noqa: E402
from timeread_jax.config import Config  # noqa: E402


def _made_once(tmp_path_factory, name, make):
  """The folder `name`, filled by `make(path)` once for the whole run: xdist's workers share it (the first to take
  the lock makes it; the others wait, then read it)."""
  root = tmp_path_factory.getbasetemp()
  if 'PYTEST_XDIST_WORKER' in os.environ:
    root = root.parent  # every worker's base folder lies in the run's one
  path, made = root / name, root / f'{name}.made'
  with open(root / f'{name}.lock', 'w') as lock:
    fcntl.flock(lock, fcntl.LOCK_EX)
    if not made.exists():
      shutil.rmtree(path, ignore_errors=True)  # what a worker that failed to make it left
      path.mkdir()
      make(str(path))
      made.touch()
  return str(path)


@pytest.fixture(scope='session')
def clock_dir(tmp_path_factory):
  """160 rendered clocks in the Leiden layout, made once for the whole run's training runs."""
  return _made_once(tmp_path_factory, 'clocks',
                    lambda path: datasets.save_leiden(path, *synthetic.make_clocks(160, seed=3)))


SMALL_READER = dict(experiment='test', data='clocks', model='clocknet', representation='twohead',
                    model_options={'widths': (8, 8, 16, 16), 'dense': 32},  # small: compiles and runs fast
                    image_size=75, epochs=2, batch_size=16, learning_rate=1e-3, seed=0)


@pytest.fixture(scope='session')
def small_config():
  """small_config(data_dir='', **overrides): the Config of a two-head reader small enough to train in seconds."""
  return lambda data_dir='', **overrides: Config(**{**SMALL_READER, 'data_dir': data_dir, **overrides})


@pytest.fixture(scope='session')
def trained(small_config, clock_dir, tmp_path_factory):
  """(workdir, config, results.json) of one epoch of a small two-head reader on the 160 clocks of `clock_dir`,
  trained once for the whole run: tests only read it."""
  config = small_config(clock_dir, experiment='clock_twohead', epochs=1)
  workdir = _made_once(tmp_path_factory, 'reader_run', lambda path: loop.train_and_evaluate(config, path))
  with open(os.path.join(workdir, 'results.json')) as f:
    return workdir, config, json.load(f)


def pytest_sessionfinish(session):  # pylint: disable=unused-argument
  if os.environ['JAX_COMPILATION_CACHE_DIR'] == _COMPILATION_CACHE:  # the process that named it: the run's end
    shutil.rmtree(_COMPILATION_CACHE, ignore_errors=True)
