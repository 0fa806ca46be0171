"""Read the time as one of n classes over the dial (the report: 24 and 720).

  ./launch.sh clock_classify --flagfile=experiments/flags/clock_classify/720.flags
"""
from absl import flags

from experiments import cli
from experiments import clock
from experiments import common
from timeread_jax.config import Config

flags.adopt_module_key_flags(clock)
_NUM_CLASSES = flags.DEFINE_integer('num_classes', 24, 'Classes over the 720 minutes of the dial; a divisor of 720.')


def make_config() -> Config:
  """The run this experiment's flags describe (experiments.compare_keras builds it too)."""
  return clock.make_config('clock_classify', 'classify', num_classes=_NUM_CLASSES.value)


def main(argv):
  del argv
  common.run(make_config())


if __name__ == '__main__':
  cli.run(main)
