"""Task 1 Part C: the report's best MLP and CNNs from Fashion-MNIST, trained on CIFAR-10.

  ./launch.sh cifar10_transfer --flagfile=experiments/flags/cifar10_transfer/mlp_final.flags
  python -m experiments.report --suite=cifar10_transfer
"""
from absl import flags

from experiments import cli
from experiments import common
from experiments import task1
from timeread_jax.config import Config

flags.adopt_module_key_flags(task1)

def make_config() -> Config:
  """The run this experiment's flags describe (experiments.compare_keras builds it too)."""
  return task1.make_config('cifar10_transfer', 'geron_cnn')


def main(argv):
  del argv
  common.run(make_config())


if __name__ == '__main__':
  cli.run(main)
