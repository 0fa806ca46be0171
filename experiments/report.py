"""Runs every variant of a Task 1 suite and sets our numbers beside the report's: a Markdown table and Figure 1.

  python -m experiments.report --suite=fashion_mlp              # then workdirs/fashion_mlp/report.md
  python -m experiments.report --suite=fashion_cnn --variants=base_3ep --num_examples=6000
  python -m experiments.report --suite=cifar10_transfer --data_dir=/data/cifar-10-batches-py

A variant is a flagfile in experiments/flags/SUITE/. Each runs in its own process on its own workdir, so a rerun
resumes unfinished variants and only re-evaluates finished ones; the table lists every variant, run now or before.
Any experiment flag (common.py, task1.py) given here overrides the flagfiles' in every run: --epochs=1, --data_dir...
"""
import dataclasses
import json
import os
import pathlib
import shlex
import subprocess
import sys

from absl import flags
import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top

from experiments import cli  # pylint: disable=g-import-not-at-top
from experiments import common  # pylint: disable=g-import-not-at-top
from experiments import task1  # pylint: disable=g-import-not-at-top
from timeread_jax import results as results_lib  # pylint: disable=g-import-not-at-top

REPO = pathlib.Path(__file__).resolve().parent.parent
FLAGFILES = REPO / 'experiments' / 'flags'


@dataclasses.dataclass(frozen=True)
class Reported:
  """What the report says about a variant: accuracy and loss on `split` (None where it gives no number)."""
  accuracy: float | None = None
  loss: float | None = None
  epochs: str = ''
  split: str = 'test'  # 'val': the report's 3-epoch screening compared validation metrics
  note: str = ''


_OURS_ONLY = Reported(note='ours, beyond the report')
# The seed report's Task 1 figures, by suite and variant, in its order.
REPORT = {
    'fashion_mlp': {
        'base': Reported(0.874, 0.36, '30'),
        'dense200': Reported(0.882, 0.33, '30'),
        'batchnorm': Reported(0.874, 0.435, '30'),
        'dropout': Reported(epochs='30', note='report: slightly better than base'),
        'leaky_relu': Reported(0.881, 0.337, '30'),
        'lr0.01': Reported(epochs='30', note='report: slightly better than base'),
        'lr0.001': Reported(epochs='30', note='report: worse than base'),
        'epochs40': Reported(0.88, 0.36, '40'),
        'early_stopping': Reported(0.88, 0.32, 'best 36'),
        'final': Reported(0.882, 0.332, '68', note='report: 87.8%, 0.344 after 50 epochs'),
        'es_lr0.01': Reported(0.855, 0.409, '49'),
        'ours': _OURS_ONLY,
    },
    'fashion_cnn': {
        'base': Reported(0.874, 0.345, '20', note='Géron: about 92%'),
        'geron_nadam': Reported(epochs='10', note="Géron's notebook, not the report: 91.2%"),
        'geron_cosine': Reported(epochs='10', note="Géron's notebook (91.2%) with a cosine decay"),
        'base_3ep': Reported(0.805, 0.521, '3', split='val'),
        'extra_conv': Reported(0.769, 0.634, '3', split='val'),
        'leaky_relu': Reported(0.780, 0.578, '3', split='val'),
        'dropout0.25': Reported(0.786, 0.552, '3', split='val'),
        'adadelta': Reported(0.152, 2.259, '3', split='val'),
        'valid_padding': Reported(0.754, 0.660, '3', split='val'),
        'ours': _OURS_ONLY,
        'resnet': _OURS_ONLY,
    },
    'cifar10_transfer': {
        'mlp_final': Reported(0.509, 1.359, '93'),
        'base': Reported(0.625, 1.064, '24'),
        'dropout0.25': Reported(0.654, 0.994, '24'),
    },
}

FLAGS = flags.FLAGS
flags.DEFINE_enum('suite', None, list(REPORT), 'Which part of Task 1 to run (required).')
flags.DEFINE_list('variants', None, 'Run only these variants (flagfile names); the table still lists all.')
flags.DEFINE_string('workdir_root', str(REPO / 'workdirs'), 'Variants run in WORKDIR_ROOT/SUITE/VARIANT; the '
                    'default is where the flagfiles put them.')
flags.register_multi_flags_validator(
    ['suite', 'variants'],
    lambda values: not (values['suite'] and values['variants']) or set(values['variants']) <= set(
        suite_variants(values['suite'])),
    message='--variants must name flagfiles of the suite (the names in experiments/flags/SUITE/)')


def suite_variants(suite: str) -> list[str]:
  """Every flagfile of the suite, in the report's order, then any the report lacks."""
  found = {path.stem for path in (FLAGFILES / suite).glob('*.flags')}
  ordered = [variant for variant in REPORT[suite] if variant in found]
  return ordered + sorted(found - set(ordered))


def run_variant(suite: str, variant: str, workdir: str, overrides: list[str]) -> str | None:
  """Runs one variant in its own process (absl flags are global); returns why it failed, or None.

  Its output goes straight to ours, so its progress bar and its one-line error show where they happen.
  """
  command = [sys.executable, '-m', f'experiments.{suite}', f'--flagfile=experiments/flags/{suite}/{variant}.flags',
             f'--workdir={workdir}', *overrides]
  print(f'$ {shlex.join(command)}', flush=True)
  returncode = subprocess.run(command, cwd=REPO, check=False).returncode
  return f'exit status {returncode}, see its output' if returncode else None


def read_results(workdir: str) -> dict | None:
  path = os.path.join(workdir, 'results.json')
  if not os.path.exists(path):
    return None
  with open(path) as f:
    return json.load(f)


def _number(value: float | None, precision: str) -> str:
  return '—' if value is None else format(value, precision)


def _measured(results: dict, key: str, precision: str) -> str:
  """A result, with its standard deviation over seeds where --seeds trained several."""
  spread = f' ± {results[key + "_std"]:{precision}}' if key + '_std' in results else ''
  return format(results[key], precision) + spread


def _duration(seconds: float) -> str:
  return f'{seconds:.0f} s' if seconds < 120 else f'{seconds / 60:.1f} min'


def table_row(variant: str, reported: Reported, results: dict | None, failure: str | None) -> str:
  """One variant: what the report says, then ours on the same split (best-epoch validation for the screening)."""
  split_label = 'test' if reported.split == 'test' else f'val after {reported.epochs} epochs'
  cells = [variant, split_label, _number(reported.accuracy, '.1%'), _number(reported.loss, 'g'), reported.epochs or '—']
  notes = [reported.note] if reported.note else []
  if failure:
    cells += ['failed', '—', '—', '—', '—']
    notes.append(failure)
  elif results is None:
    cells += ['not run', '—', '—', '—', '—']
  else:
    cells += [_measured(results, f'{reported.split}_accuracy', '.1%'),
              _measured(results, f'{reported.split}_loss', '.3f'),
              f'{results["epochs"]:g} ({results["best_epoch"]:g})', _duration(results['train_seconds']),
              results['device']]
    monitor = results['config'].get('monitor', 'val_loss')  # results from before --monitor: val_loss
    if monitor != 'val_loss':
      notes.append(f'best epoch by {monitor}')
    if 'seeds' in results:
      notes.append(f'mean ± standard deviation over seeds {", ".join(map(str, results["seeds"]))}')
    if results['config']['num_examples']:
      notes.append(f'first {results["config"]["num_examples"]} examples of each split')
  return '| ' + ' | '.join(cells + ['; '.join(notes)]) + ' |'


def learning_curves(path: str, histories: dict[str, list[dict]]) -> None:
  """The report's Figure 1 for every variant at once: validation (solid) and training (dashed) accuracy and loss."""
  fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
  colors = plt.get_cmap('tab20').colors
  for (variant, history), color in zip(histories.items(), colors * 2):
    epochs = [record['epoch'] for record in history]
    for ax, metric in zip(axes, ('accuracy', 'loss')):
      ax.plot(epochs, [record[f'val_{metric}'] for record in history], color=color, marker='.', label=variant)
      ax.plot(epochs, [record[f'train_{metric}'] for record in history], color=color, linestyle='--', alpha=0.6)
  for ax, metric in zip(axes, ('accuracy', 'loss')):
    ax.set_xlabel('epoch')
    ax.set_ylabel(f'{metric} (validation solid, training dashed)')
    ax.grid(alpha=0.3)
  axes[1].legend(loc='upper left', bbox_to_anchor=(1.02, 1), fontsize=8)
  fig.tight_layout()
  fig.savefig(path, dpi=100)
  plt.close(fig)


def write_report(suite: str, suite_root: str, failures: dict[str, str]) -> str:
  """Writes SUITE_ROOT/report.md (and learning_curves.png beside it) from every variant's workdir; returns the table."""
  variants = suite_variants(suite)
  rows = [table_row(variant, REPORT[suite].get(variant, Reported()), read_results(os.path.join(suite_root, variant)),
                    failures.get(variant)) for variant in variants]
  table = '\n'.join([
      '| variant | split | report accuracy | report loss | report epochs | our accuracy | our loss | '
      'our epochs (best) | our train time | our device | notes |',
      '|' + ' --- |' * 11, *rows])
  histories = {}
  for variant in variants:
    try:
      history = results_lib.read_history(os.path.join(suite_root, variant))
    except FileNotFoundError:  # a variant that failed or was not run
      continue
    if history:
      histories[variant] = history
  os.makedirs(suite_root, exist_ok=True)
  curves = ''
  if histories:
    learning_curves(os.path.join(suite_root, 'learning_curves.png'), histories)
    curves = '\n\n![Learning curves of every variant](learning_curves.png)'
  with open(os.path.join(suite_root, 'report.md'), 'w') as f:
    f.write(f'# Task 1, {suite}: the report beside ours\n\n'
            'Ours are evaluated at the best epoch (the best checkpoint): that of lowest validation loss unless '
            'the notes say otherwise.\n\n'
            f'{table}{curves}\n')
  return table


def experiment_overrides() -> list[str]:
  """The experiment flags given on the command line, as arguments for every run."""
  given = [flag for module in (common, task1) for flag in FLAGS.get_flags_for_module(module.__name__)
           if flag.present]
  if any(flag.name == 'workdir' for flag in given):
    cli.fail('each variant runs in WORKDIR_ROOT/SUITE/VARIANT: use --workdir_root instead of --workdir')
  return [flag.serialize() for flag in given]


def main(argv):
  if len(argv) > 1:
    cli.fail(f'unexpected arguments: {" ".join(argv[1:])}')
  # Checked here, not by absl: the tests import this module beside experiments, whose command lines lack --suite.
  cli.require('suite', f'one of {", ".join(REPORT)}')
  overrides = experiment_overrides()
  suite_root = os.path.join(os.path.abspath(FLAGS.workdir_root), FLAGS.suite)
  failures = {}
  for variant in FLAGS.variants or suite_variants(FLAGS.suite):
    failure = run_variant(FLAGS.suite, variant, os.path.join(suite_root, variant), overrides)
    if failure:
      failures[variant] = failure
  print(write_report(FLAGS.suite, suite_root, failures))
  if failures:
    cli.fail(f'{len(failures)} variant(s) failed: {", ".join(failures)} (see the table)')


if __name__ == '__main__':
  cli.run(main)
