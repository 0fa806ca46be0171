"""The run's settings: what a workdir's config.json lets a rerun change, and what it refuses."""
import dataclasses
import json

import pytest

from timeread_jax import config as config_lib
from timeread_jax.config import Config
from timeread_jax.errors import ConfigError


def _stored(tmp_path, **overrides):
  config = Config(experiment='test', data='clocks', model='clocknet', representation='twohead', **overrides)
  (tmp_path / 'config.json').write_text(json.dumps(config_lib.to_json(config)))
  return config


def test_a_rerun_may_change_only_the_resumable_fields(tmp_path):
  config = _stored(tmp_path, clock_generator=3)
  config_lib.check_workdir(dataclasses.replace(config, epochs=99, patience=4, steps_per_call=2), str(tmp_path))
  with pytest.raises(ConfigError, match=r'\(clock_generator, learning_rate differ\)'):
    config_lib.check_workdir(dataclasses.replace(config, learning_rate=1, clock_generator=4), str(tmp_path))


def test_clocks_of_another_renderer_are_another_run(tmp_path):
  """A synthetic run from before the renderer recorded its version held the default, 0: it does not resume."""
  config = _stored(tmp_path)
  with pytest.raises(ConfigError, match='clock_generator differ'):
    config_lib.check_workdir(dataclasses.replace(config, clock_generator=3), str(tmp_path))


def test_read_gives_back_the_config_and_names_a_folder_without_one(tmp_path):
  config = _stored(tmp_path, model_options={'widths': (8, 16)})
  assert config_lib.read(str(tmp_path)) == dataclasses.replace(config, model_options={'widths': [8, 16]})
  with pytest.raises(ConfigError, match='no config.json'):
    config_lib.read(str(tmp_path / 'elsewhere'))
