"""The flags every Task 1 experiment shares (Fashion-MNIST and CIFAR-10 classifiers), and the config they describe.

Model flags default to None, meaning the model's own default (models.py), so that config.json records exactly
the ablations a variant makes.
"""
from absl import flags

from experiments import common
from timeread_jax.config import Config

FLAGS = flags.FLAGS
flags.adopt_module_key_flags(common)  # so that each experiment's --help lists them

flags.DEFINE_enum('data', 'fashion_mnist', ['fashion_mnist', 'cifar10'], 'The data set.')
flags.DEFINE_string('data_dir', '', "Where the data set's files are; '' searches the default places.")
common.define_widths('hidden', 'MLP: widths of the hidden layers, e.g. 300,200,100 (default 300,100).')
flags.DEFINE_enum('activation', None, ['relu', 'leaky_relu'], 'Hidden activation (default relu; leaky slope 0.1).')
flags.DEFINE_bool('batch_norm', None, 'Batch normalization before each hidden activation (MLP) or after each '
                  'convolution (CNN) (default off).')
flags.DEFINE_float('dropout', None, 'Dropout rate; MLP: after every hidden layer (default 0); CNN: after the '
                   'first dense layer (default 0.5).')
flags.DEFINE_enum('padding', None, ['SAME', 'VALID'], 'CNN: convolution padding; VALID drops the second pool, as '
                  'in the report (default SAME).', case_sensitive=False)
flags.DEFINE_bool('extra_conv', None, 'CNN: a third Conv256 3x3 after the two (default off).')
flags.DEFINE_float('last_dropout', None, 'CNN: dropout rate after the second dense layer (default 0.5).')
flags.DEFINE_integer('blocks_per_stage', None, 'ResNet: basic blocks per stage (default 2).', lower_bound=1)
flags.DEFINE_bool('augment', False, 'Mirror each training image left-right at random and shift it by up to 2 pixels.')
flags.DEFINE_bool('standardize', False, "Standardize each pixel with the training images' mean and standard "
                  'deviation, as Géron does, instead of only dividing by 255.')

for _rate in ('dropout', 'last_dropout'):
  flags.register_validator(_rate, lambda rate: rate is None or 0 <= rate < 1,
                           message=f'--{_rate} must be a rate in [0, 1)')

# The flags each model reads, by model; any other model flag given for that model is a mistake.
MODEL_FLAGS = {
    'mlp': ('hidden', 'activation', 'batch_norm', 'dropout'),
    'geron_cnn': ('activation', 'padding', 'extra_conv', 'batch_norm', 'dropout', 'last_dropout'),
    'resnet': ('widths', 'blocks_per_stage'),
}
flags.DEFINE_enum('model', None, sorted(MODEL_FLAGS), "Which model (default: the experiment's own: the MLP for "
                  "fashion_mlp, Géron's CNN for the others).")


def make_config(experiment: str, default_model: str) -> Config:
  """The run the flags describe; setting a flag that the model does not read ends the program."""
  model = FLAGS.model or default_model
  return common.make_config(
      experiment=experiment, data=FLAGS.data, data_dir=FLAGS.data_dir, augment=FLAGS.augment,
      standardize=FLAGS.standardize, model=model,
      model_options=common.model_options(model, MODEL_FLAGS), representation='categorical',
      representation_options={'num_classes': 10})
