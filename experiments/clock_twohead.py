"""The main job: read the time with a 12-way hour softmax and a regressed minute (the report's two heads).

  ./launch.sh clock_twohead          # python -m experiments.clock_twohead --flagfile=experiments/flags/clock_twohead/base.flags
"""
from experiments import cli
from experiments import clock
from experiments import common
from timeread_jax import train


def make_config() -> train.Config:
  """The run this experiment's flags describe (experiments.compare_keras builds it too)."""
  return clock.make_config('clock_twohead', 'twohead')


def main(argv):
  del argv
  common.train_and_evaluate(make_config())


if __name__ == '__main__':
  cli.run(main)
