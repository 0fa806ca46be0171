"""Task 1 Part B: Géron's CNN (p.461) on Fashion-MNIST, and the report's 3-epoch screening of its variants.

  ./launch.sh fashion_cnn --flagfile=experiments/flags/fashion_cnn/extra_conv.flags
  python -m experiments.report --suite=fashion_cnn      # every variant, beside the report's numbers
"""
from absl import flags

from experiments import cli
from experiments import common
from experiments import task1
from timeread_jax.config import Config

flags.adopt_module_key_flags(task1)

def make_config() -> Config:
  """The run this experiment's flags describe (experiments.compare_keras builds it too)."""
  return task1.make_config('fashion_cnn', 'geron_cnn')


def main(argv):
  del argv
  common.run(make_config())


if __name__ == '__main__':
  cli.run(main)
