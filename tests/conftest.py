"""Fixtures several test modules share."""
import pytest

from timeread_jax import clocks


@pytest.fixture(scope='session')
def clock_dir(tmp_path_factory):
  """160 rendered clocks in the Leiden layout, made once for the whole session's training runs."""
  path = tmp_path_factory.mktemp('clocks')
  clocks.save_leiden(str(path), *clocks.make_clocks(160, seed=3))
  return str(path)
