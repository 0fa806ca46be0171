"""Read the time with 720 classes and two heads on one trunk, multiplied (representations.Product): the classes
read the minute to the minute, the hour head misses the hour less often.

  python -m experiments.clock_product --flagfile=experiments/flags/clock_product/any.flags
"""
from absl import flags

from experiments import cli
from experiments import clock
from experiments import common
from timeread_jax.config import Config

flags.adopt_module_key_flags(clock)


def make_config() -> Config:
  """The run this experiment's flags describe."""
  presence = {'presence': True} if flags.FLAGS.no_clock else {}  # as clock_twohead's
  return clock.make_config('clock_product', 'product', **presence)


def main(argv):
  del argv
  common.run(make_config())


if __name__ == '__main__':
  cli.run(main)
