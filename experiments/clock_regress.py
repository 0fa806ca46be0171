"""Read the time as fractional hours from one softplus output (the report's regression).

  ./launch.sh clock_regress --flagfile=experiments/flags/clock_regress/cyclic.flags
"""
from absl import flags

from experiments import cli
from experiments import clock
from experiments import common
from timeread_jax.config import Config

flags.adopt_module_key_flags(clock)
_CYCLIC = flags.DEFINE_bool('cyclic', False, 'Measure the loss the short way around the dial (no seam at 12:00).')


def make_config() -> Config:
  """The run this experiment's flags describe (experiments.compare_keras builds it too)."""
  return clock.make_config('clock_regress', 'regress', cyclic=_CYCLIC.value)


def main(argv):
  del argv
  common.run(make_config())


if __name__ == '__main__':
  cli.run(main)
