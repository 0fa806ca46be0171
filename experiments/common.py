"""What every experiment module shares: the common flags, and the run of the config they describe.

Flags are read here and only here: they become a `Config`, and the library never sees absl.
"""
import os
import shlex
import sys

from absl import flags

from experiments import cli
from timeread_jax import distributed
from timeread_jax import readers
from timeread_jax import loop
from timeread_jax.config import Config

FLAGS = flags.FLAGS

# Required when a run starts (cli.require), not by absl: experiments.report imports these flags and gives each
# variant a workdir of its own.
flags.DEFINE_string('workdir', None, 'Where checkpoints, metrics.jsonl, results.json and plots go; '
                    'rerunning with the same workdir resumes.')
flags.DEFINE_integer('seed', 0, 'Seeds the data split, initialization, shuffling and dropout.', lower_bound=0)
flags.DEFINE_integer('epochs', 30, 'Maximum number of epochs.', lower_bound=1)
flags.DEFINE_integer('batch_size', 32, 'Training batch size.', lower_bound=1)
flags.DEFINE_float('learning_rate', 1e-4, 'Optimizer learning rate.', lower_bound=0)
flags.DEFINE_enum('optimizer', 'adam', ['sgd', 'adam', 'nadam', 'adadelta'], 'Optax optimizer (Keras defaults).')
flags.DEFINE_float('momentum', 0.0, 'SGD momentum.', lower_bound=0)
flags.DEFINE_enum('schedule', 'constant', ['constant', 'cosine'], 'Learning rate schedule; cosine decays it to 0 '
                  'over --epochs.')
flags.DEFINE_integer('cycles', 1, 'With --schedule=cosine: restart the decay, in this many cycles of equal length '
                     '(warm restarts).', lower_bound=1)
flags.DEFINE_float('cycle_decay', 1.0, 'With --cycles: each cycle\'s peak learning rate as a share of the last '
                   'one\'s.', lower_bound=0, upper_bound=1)
flags.DEFINE_integer('patience', 0, 'Early stopping: epochs without a better --monitor; 0 turns it off.',
                     lower_bound=0)
flags.DEFINE_string('monitor', 'val_loss', 'The validation metric that picks the best epoch (its checkpoint is the '
                    'one evaluated on test) and drives --patience: val_loss, val_accuracy, val_cse_minutes... '
                    'Accuracies are maximized, everything else minimized.')
flags.DEFINE_integer('num_examples', 0, 'Use only the first N examples (0: all): smoke runs.', lower_bound=0)
flags.DEFINE_integer('val_size', 0, "Validation examples carved from train (0: the data set's default).",
                     lower_bound=0)
flags.DEFINE_integer('steps_per_call', 0, 'Training steps per jitted call (0: a whole epoch, or one step for '
                     'convnets on CPU).', lower_bound=0)
flags.DEFINE_integer('seeds', 1, 'Train this many seeds (from --seed on) side by side in one computation; '
                     'they share --seed\'s data split; each gets workdir/seed_<seed>/, and results.json the mean and '
                     'standard deviation of every metric.', lower_bound=1)
flags.DEFINE_enum('dtype', 'float32', ['float32', 'bfloat16'], 'Compute dtype; parameters stay float32.')


_WIDTH_FLAGS = set()  # the flags define_widths made, which model_options turns into lists of integers


def define_widths(name: str, help_text: str) -> None:
  """A flag of layer widths: a comma-separated list of positive integers, unset (None) by default."""
  _WIDTH_FLAGS.add(name)
  flags.DEFINE_list(name, None, help_text)
  flags.register_validator(name, lambda widths: widths is None or all(w.isdigit() and int(w) > 0 for w in widths),
                           message=f'--{name} must be a comma-separated list of positive integers, e.g. 64,128')


define_widths('widths', 'ClockNet: channels of its conv stages after the stem (default 32,64,128,256); ResNet: of '
              'its stages (default 64,128,256).')
define_widths('stem', 'ClockNet: channels of its stem\'s convolutions, the first strided by 2 or on the patches of '
              '--space_to_depth, the others at the same resolution (default 16).')
flags.DEFINE_string('coordinator_address', '', 'host:port of process 0, for a multi-host run started by hand '
                    '(SLURM and TPU VM slices are detected without it).')
flags.DEFINE_integer('num_processes', 0, 'With --coordinator_address: how many processes take part.', lower_bound=0)
flags.DEFINE_integer('process_id', 0, 'With --coordinator_address: this process\'s rank, 0 to num_processes-1.',
                     lower_bound=0)


def model_options(model: str, model_flags: dict[str, tuple[str, ...]]) -> dict:
  """The options the model flags set for `model`, by `model_flags` (each model's flags); setting a flag that
  `model` does not read ends the program. Unset flags (None, or an empty list: `--widths=` undoes a flagfile's
  widths) leave the model's own default."""
  def is_set(name):
    return FLAGS[name].value not in (None, [])
  for name in {name for names in model_flags.values() for name in names} - set(model_flags[model]):
    if is_set(name):
      cli.fail(f'--{name} does not apply to {model} (its flags: {", ".join(model_flags[model]) or "none"})')
  options = {name: FLAGS[name].value for name in model_flags[model] if is_set(name)}
  for name in _WIDTH_FLAGS & set(options):
    options[name] = [int(width) for width in options[name]]
  return options


def make_config(**fields) -> Config:
  """A `Config` from the common flags plus what the experiment chose (data, model, representation...)."""
  return Config(
      seed=FLAGS.seed, epochs=FLAGS.epochs, batch_size=FLAGS.batch_size, learning_rate=FLAGS.learning_rate,
      optimizer=FLAGS.optimizer, momentum=FLAGS.momentum, schedule=FLAGS.schedule, cycles=FLAGS.cycles,
      cycle_decay=FLAGS.cycle_decay, patience=FLAGS.patience,
      monitor=FLAGS.monitor, num_examples=FLAGS.num_examples, val_size=FLAGS.val_size,
      steps_per_call=FLAGS.steps_per_call, dtype=FLAGS.dtype, num_seeds=FLAGS.seeds, command=command(), **fields)


def command() -> str:
  """This program's command line, as `python -m experiments.NAME ARGS`, for the record."""
  module = os.path.splitext(os.path.basename(sys.argv[0]))[0]
  return shlex.join(['python', '-m', f'experiments.{module}', *sys.argv[1:]])


def run(config: Config) -> dict:
  """Trains and evaluates `config` in --workdir (resuming it); SIGTERM ends the program with its status after a
  save. Mistakes are errors.UserError, which cli.run reports in one line."""
  run_dir = cli.require('workdir', "the folder for the run's checkpoints, metrics and results")
  if FLAGS.coordinator_address and not FLAGS.process_id < FLAGS.num_processes:
    cli.fail(f'--process_id={FLAGS.process_id} must be below --num_processes={FLAGS.num_processes}')
  distributed.initialize(FLAGS.coordinator_address, FLAGS.num_processes, FLAGS.process_id)
  init_variables = readers.initial_variables(config.init_from, config) if config.init_from else None
  try:
    return loop.train_and_evaluate(config, run_dir, FLAGS.flags_into_string(), init_variables)
  except loop.Preempted as preempted:
    print(f'stopped: {preempted}', file=sys.stderr)
    sys.exit(143)  # 128 + SIGTERM, as if the signal had ended the process
