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
_HOUR_WEIGHT = flags.DEFINE_float('hour_weight', 1.0, "With --hands: the weight of the hour hand's squared error "
                                   "against the minute hand's (the hour is wrong past 15 degrees).")
_DISTANCE_LOSS = flags.DEFINE_bool('distance_loss', False, "Each (sin, cos) pair's loss is its distance from the "
                                   'target, not its square: the pull does not fade as a hand closes in.')


def make_config() -> Config:
  """The run this experiment's flags describe (experiments.compare_keras builds it too)."""
  # Left out at their defaults, so that the runs and readers made before these flags existed keep their settings
  # (resume, init_from).
  options = {name: value for name, value, default in (('hour_weight', _HOUR_WEIGHT.value, 1),
                                                      ('distance', _DISTANCE_LOSS.value, False)) if value != default}
  return clock.make_config('clock_periodic', 'periodic', hands=_HANDS.value, **options)


def main(argv):
  del argv
  common.run(make_config())


if __name__ == '__main__':
  cli.run(main)
