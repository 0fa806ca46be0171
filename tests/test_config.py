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
  config_lib.check_workdir(dataclasses.replace(config, epochs=99, patience=4, steps_per_call=2, command='python -m x'),
                          str(tmp_path))
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


def _config(**overrides):
  return Config(**{'experiment': 'test', 'data': 'clocks', 'model': 'clocknet', 'representation': 'twohead',
                   **overrides})


@pytest.mark.parametrize('overrides, words', [
    ({'data': 'mnist'}, "unknown data 'mnist'"),
    ({'representation': 'sundial'}, "unknown representation 'sundial'"),
    ({'turn_warmup_epochs': 2}, 'give --fresh_data, or --turn_warmup_epochs=0'),
    ({'held_out_styles': True, 'data_dir': '/data'}, 'cannot be combined with --clock_data_dir'),
    ({'fresh_head': True}, 'give --init_from too'),
    ({'init_from': 'r.msgpack', 'head_only_epochs': 2}, 'give --init_from and --fresh_head'),
    ({'image_size': 75, 'via_75px': 0.5}, 'give --image_size=150'),
    ({'representation': 'classify', 'representation_options': {'num_classes': 7}}, 'divisor of 720'),
    ({'representation': 'periodic', 'representation_options': {'hour_weight': 4.0}}, 'give --hands too'),
    ({'cycles': 2, 'epochs': 4}, 'give --schedule=cosine'),
    ({'cycles': 3, 'epochs': 4, 'schedule': 'cosine'}, 'divides --epochs=4'),
    ({'cycle_decay': 0.5, 'schedule': 'cosine'}, 'and --cycles of 2 or more'),
    ({'other_clocks': 0.2}, 'give --designs=leiden, --no_clock'),
    ({'other_clocks': 0.5, 'no_clock': 0.5, 'fresh_data': True, 'representation_options': {'presence': True}},
     'shares that sum below 1'),
    ({'monitor': 'val_accuracy'}, "cannot monitor 'val_accuracy': this run validates val_loss, val_hour_accuracy"),
])
def test_settings_that_cannot_run_together_are_refused_in_one_line(overrides, words):
  """Each rule is the library's, so a library caller gets the line a command-line user gets."""
  with pytest.raises(ConfigError, match=words) as refused:
    _config(**overrides)
  assert '\n' not in str(refused.value)


def test_a_run_from_a_trained_reader_does_not_warm_the_turn_up():
  """A trained reader already finds 12: a stage run from a from-scratch flagfile turns the clocks every way."""
  assert _config(fresh_data=True, turn_warmup_epochs=10).turn_warmup_epochs == 10
  assert _config(fresh_data=True, turn_warmup_epochs=10, init_from='r.msgpack').turn_warmup_epochs == 0
