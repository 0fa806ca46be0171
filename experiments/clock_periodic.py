"""Read the time as points on the unit circle, decoded with atan2: no seam at 12:00 for the loss to fight.

  ./launch.sh clock_periodic --flagfile=experiments/flags/clock_periodic/hands.flags
"""
from absl import flags

from experiments import cli
from experiments import clock

_HANDS = flags.DEFINE_bool('hands', False, 'One (sin, cos) pair per hand instead of one for the dial position.')


def main(argv):
  del argv
  clock.run('clock_periodic', 'periodic', hands=_HANDS.value)


if __name__ == '__main__':
  cli.run(main)
