"""The flags every clock experiment shares, and the one way to turn them into a clock reader's config."""
import os
import sys

from absl import flags

from experiments import common
from timeread_jax.config import Config

FLAGS = flags.FLAGS
flags.adopt_module_key_flags(common)  # so that each experiment's --help lists them

flags.DEFINE_string('clock_data_dir', '', "A folder with the Leiden images.npy and labels.npy; '' renders the "
                    'synthetic set (18,000 images unless --num_examples says otherwise).')
flags.DEFINE_enum('image_size', '150', ['150', '75'], 'Image side in pixels (the report compared both).')
flags.DEFINE_enum('trunk', 'clocknet', ['clocknet', 'report_clock_cnn'], "Our ClockNet, or the report's CNN.")
# The flags each trunk reads (common.model_options).
TRUNK_FLAGS = {'clocknet': ('widths', 'dense', 'stem', 'space_to_depth'), 'report_clock_cnn': ()}
flags.DEFINE_integer('dense', None, 'ClockNet: width of its dense layer (default 256).', lower_bound=1)
flags.DEFINE_integer('space_to_depth', None, 'ClockNet: 0 (default) strides the stem by 2 on the picture; k runs '
                     'it on the k x k patches of the picture stacked as channels: faster steps on a CPU, '
                     'but more epochs to the same error (docs/speed.md).', lower_bound=0)
flags.DEFINE_enum('designs', 'leiden', ['leiden', 'all'], 'The synthetic clocks: the Leiden wall clock alone, or '
                  'every design the renderer draws (round and square dials, light and dark faces, Roman and Arabic '
                  'numerals or none, hands of many shapes, second hands, watch cases...), the Leiden clock among them.')
flags.DEFINE_bool('held_out_styles', False, 'Train on some dial styles and floors (with --designs=all: some designs), '
                  'validate and test on unseen ones (synthetic data only): does a change generalize, or fit what it '
                  'saw?')
flags.DEFINE_float('no_clock', 0.0, 'With --fresh_data and two heads (clock_twohead, clock_product): the share of '
                   'training pictures that show no clock at all, so that the reader learns to say "no clock" (a '
                   'presence output).')
flags.DEFINE_float('other_clocks', 0.0, 'With --designs=leiden and --no_clock: the share of training pictures that '
                   'show a clock of another design, taught as "no clock": a Leiden reader that knows its own clock.')
flags.DEFINE_string('init_from', '', 'Start from the weights of this trained reader (a clock workdir or a saved '
                    'reader file) instead of a random initialization: fine-tuning, e.g. on the real photos with '
                    '--clock_data_dir. Needs the same trunk, representation and image size.')
flags.DEFINE_bool('fresh_head', False, 'With --init_from: take the trained reader\'s trunk only and start the head '
                  'fresh, so the reader may be of another representation (e.g. a periodic reader on the two-head '
                  "reader's trunk).")
flags.DEFINE_integer('head_only_epochs', 0, 'With --fresh_head: hold the trunk still over these first epochs while '
                     'the new head learns on it, then train both (linear probing before fine-tuning).', lower_bound=0)
flags.DEFINE_bool('fresh_data', False, 'Render a new batch of synthetic clocks every step instead of reusing a '
                  'fixed training set (validation and test stay fixed).')
flags.DEFINE_integer('turn_warmup_epochs', 0, 'With --fresh_data: over these first epochs the rendered clocks turn '
                     'from upright to any way, so that a new reader learns the hands before it must find 12 by the '
                     'numerals (it sits at chance for many epochs without). Not with --init_from: a trained reader '
                     'already finds 12.', lower_bound=0)
flags.DEFINE_float('via_75px', 0.0, 'At --image_size=150: the share of training pictures halved to 75 px and '
                   'enlarged back, as a 150 px reader sees a 75 px photo (the real development photos are 75 px).',
                   lower_bound=0, upper_bound=1)
flags.DEFINE_float('erase', 0.0, 'Augmentation: the share of training pictures in which a random rectangle (2-15% '
                  'of the picture) is erased to one grey, an occluder the renderer does not draw.', lower_bound=0,
                  upper_bound=1)


def make_config(experiment: str, representation: str, **representation_options) -> Config:
  """The clock reader with `representation` on the clock data the flags choose."""
  config = common.make_config(
      experiment=experiment, data='clocks', data_dir=FLAGS.clock_data_dir, image_size=int(FLAGS.image_size),
      designs=FLAGS.designs, fresh_data=FLAGS.fresh_data, held_out_styles=FLAGS.held_out_styles,
      no_clock=FLAGS.no_clock, other_clocks=FLAGS.other_clocks,
      turn_warmup_epochs=FLAGS.turn_warmup_epochs, erase=FLAGS.erase, via_75px=FLAGS.via_75px,
      init_from=os.path.abspath(FLAGS.init_from) if FLAGS.init_from else '', fresh_head=FLAGS.fresh_head,
      head_only_epochs=FLAGS.head_only_epochs, model=FLAGS.trunk,
      model_options=common.model_options(FLAGS.trunk, TRUNK_FLAGS), representation=representation,
      representation_options=representation_options)
  if config.turn_warmup_epochs != FLAGS.turn_warmup_epochs:  # so that a stage run with a from-scratch flagfile says
    print(f'note: --init_from starts from a trained reader: the clocks turn every way from the first step '
          f'(--turn_warmup_epochs={FLAGS.turn_warmup_epochs} not applied)', file=sys.stderr)
  return config
