"""The flags every clock experiment shares, and the one way to turn them into a clock reader's config."""
from absl import flags

from experiments import cli
from experiments import common
from timeread_jax import train

FLAGS = flags.FLAGS

flags.DEFINE_string('clock_data_dir', '', "A folder with the Leiden images.npy and labels.npy; '' renders the "
                    'synthetic set (18,000 images unless --num_examples says otherwise).')
flags.DEFINE_enum('image_size', '150', ['150', '75'], 'Image side in pixels (the report compared both).')
flags.DEFINE_enum('trunk', 'clocknet', ['clocknet', 'report_clock_cnn'], "Our ClockNet, or the report's CNN.")
flags.DEFINE_bool('fresh_data', False, 'Render a new batch of synthetic clocks every step instead of reusing a '
                  'fixed training set (validation and test stay fixed).')


def make_config(experiment: str, representation: str, **representation_options) -> train.Config:
  """The clock reader with `representation` on the clock data the flags choose."""
  if FLAGS.fresh_data and FLAGS.clock_data_dir:
    cli.fail('--fresh_data renders synthetic clocks: it cannot be combined with --clock_data_dir')
  return common.make_config(
      experiment=experiment, data='clocks', data_dir=FLAGS.clock_data_dir, image_size=int(FLAGS.image_size),
      fresh_data=FLAGS.fresh_data, model=FLAGS.trunk, representation=representation,
      representation_options=representation_options)
