"""The main job: read the time with a 12-way hour softmax and a regressed minute (the report's two heads).

  ./launch.sh clock_twohead          # python -m experiments.clock_twohead --flagfile=experiments/flags/clock_twohead/base.flags
"""
from experiments import cli
from experiments import clock


def main(argv):
  del argv
  clock.run('clock_twohead', 'twohead')


if __name__ == '__main__':
  cli.run(main)
