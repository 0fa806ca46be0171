"""Read the time as fractional hours from one softplus output (the report's regression).

  ./launch.sh clock_regress --flagfile=experiments/flags/clock_regress/cyclic.flags
"""
from absl import flags

from experiments import cli
from experiments import clock

_CYCLIC = flags.DEFINE_bool('cyclic', False, 'Measure the loss the short way around the dial (no seam at 12:00).')


def main(argv):
  del argv
  clock.run('clock_regress', 'regress', cyclic=_CYCLIC.value)


if __name__ == '__main__':
  cli.run(main)
