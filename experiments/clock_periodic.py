"""Read the time as points on the unit circle, decoded with atan2: no seam at 12:00 for the loss to fight.

  ./launch.sh clock_periodic --flagfile=experiments/flags/clock_periodic/hands.flags
"""
from absl import flags

from experiments import cli
from experiments import clock
from experiments import common
from timeread_jax.config import Config

flags.adopt_module_key_flags(clock)
_HANDS = flags.DEFINE_bool('hands', False, 'One (sin, cos) pair per hand instead of one for the dial position.')


def make_config() -> Config:
  """The run this experiment's flags describe (experiments.compare_keras builds it too)."""
  return clock.make_config('clock_periodic', 'periodic', hands=_HANDS.value)


def main(argv):
  del argv
  common.train_and_evaluate(make_config())


if __name__ == '__main__':
  cli.run(main)
