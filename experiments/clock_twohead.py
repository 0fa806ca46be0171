"""The main job: read the time with two heads, a 12-way hour softmax and the minute.

  ./launch.sh clock_twohead  # python -m experiments.clock_twohead --flagfile=experiments/flags/clock_twohead/base.flags
"""
from absl import flags

from experiments import cli
from experiments import clock
from experiments import common
from timeread_jax.config import Config

flags.adopt_module_key_flags(clock)
_MINUTE = flags.DEFINE_enum('minute', 'sincos', ['sincos', 'regress'], "The minute head: the minute hand's (sin, cos), "
                            'with an hour that agrees with it (ours), or minute/60 by a softplus unit (the report\'s).')


def make_config() -> Config:
  """The run this experiment's flags describe (experiments.compare_keras builds it too)."""
  presence = {'presence': True} if flags.FLAGS.no_clock else {}  # left out without, as readers before it were
  return clock.make_config('clock_twohead', 'twohead', minute=_MINUTE.value, **presence)


def main(argv):
  del argv
  common.run(make_config())


if __name__ == '__main__':
  cli.run(main)
