"""What a run tells its user: the epoch lines and progress bar, results.json, metrics summaries and plots.

Only process 0 writes or prints (`distributed.is_main_process`); every other process keeps quiet.
"""
import dataclasses
import glob
import json
import os
import sys
import time

import jax
import numpy as np

from timeread_jax import distributed
from timeread_jax import files
from timeread_jax import representations
from timeread_jax.config import Config


def log(message: str) -> None:
  if distributed.is_main_process():
    print(message, flush=True)


class ProgressBar:
  """An in-place `done/total` line on a terminal for epochs longer than a few seconds; silent elsewhere.

  It redraws at most twice a second, waiting on the newest chunk's metrics so that it shows computed steps,
  not merely dispatched ones.
  """

  def __init__(self, label: str, total: int):
    self.label, self.total, self.done = label, total, 0
    self.start = self.drawn = time.perf_counter()
    self.enabled = sys.stderr.isatty()

  def update(self, metrics) -> None:
    self.done += 1
    now = time.perf_counter()
    if not self.enabled or now - self.drawn < 0.5:
      return
    jax.block_until_ready(metrics)
    self.drawn = now
    if now - self.start > 3:
      rate = self.done / (now - self.start)
      print(f'\r{self.label}: {self.done}/{self.total} calls, {(self.total - self.done) / rate:.0f} s left ',
            end='', file=sys.stderr, flush=True)

  def close(self) -> None:
    if self.enabled and self.drawn - self.start > 3:
      print('\r\033[K', end='', file=sys.stderr, flush=True)


def summarize(per_example: dict[str, np.ndarray], statistics: dict, prefix: str = '') -> dict[str, float]:
  """Each statistic (representations.statistics) of the per-example metrics it sums up; those not computed (a
  raw `outputs`, say) are left out."""
  return {f'{prefix}{name}': float(statistic.reduce(per_example[statistic.metric]))
          for name, statistic in statistics.items() if statistic.metric in per_example}


def package_versions() -> dict[str, str]:
  import importlib.metadata  # pylint: disable=g-import-not-at-top
  names = ('jax', 'jaxlib', 'flax', 'optax', 'orbax-checkpoint', 'numpy')
  return {'python': sys.version.split()[0], **{name: importlib.metadata.version(name) for name in names}}


def write_results(config: Config, workdir: str, seed_dirs: list[str], progress, representation,
                  test_outputs: list[dict[str, np.ndarray]], num_params: int) -> dict:
  """Each seed's results.json and plots from its best epoch (`progress`, a loop.Progress); with several seeds,
  their mean and spread too."""
  seeds = config.seeds
  runs = []
  for s, (seed, seed_dir, history) in enumerate(zip(seeds, seed_dirs, progress.history)):
    best_record = history[progress.best_epoch[s] - 1]
    runs.append({**summarize(test_outputs[s], representations.statistics(representation), 'test_'),
                 **{k: v for k, v in best_record.items() if k.startswith('val_')},
                 'epochs': len(history), 'best_epoch': progress.best_epoch[s],
                 'train_seconds': progress.train_seconds, 'num_params': num_params,
                 'device': f'{jax.device_count()} x {jax.devices()[0].device_kind}',
                 'config': dataclasses.asdict(dataclasses.replace(config, seed=seed))})
    if distributed.is_main_process():
      # matplotlib, imported here: 0.4 s that read_clock and evaluate never need
      from timeread_jax import plots  # pylint: disable=g-import-not-at-top
      files.write_json(os.path.join(seed_dir, 'results.json'), runs[-1])
      headline = representation.headline
      plots.learning_curves(os.path.join(seed_dir, 'plots', 'learning_curves.png'), history, headline,
                            representation.statistics[headline].higher_is_better)
      if 'cse_minutes' in test_outputs[s]:
        plots.error_histogram(os.path.join(seed_dir, 'plots', 'cse_histogram.png'), test_outputs[s]['cse_minutes'])
  if len(seeds) == 1:
    log('test: ' + '  '.join(f'{k[5:]} {v:.4g}' for k, v in runs[0].items() if k.startswith('test_')))
    return runs[0]
  summary = {'seeds': seeds, 'device': runs[0]['device'], 'config': dataclasses.asdict(config)}
  for key, value in runs[0].items():
    if isinstance(value, (int, float)):
      values = [run[key] for run in runs]
      summary[key], summary[f'{key}_std'] = float(np.mean(values)), float(np.std(values))
  if distributed.is_main_process():
    files.write_json(os.path.join(workdir, 'results.json'), summary)
  log(f'{len(seeds)} seeds: ' + '  '.join(f'{k[5:]} {summary[k]:.4g} ± {summary[k + "_std"]:.2g}'
                                          for k in summary if k.startswith('test_') and not k.endswith('_std')))
  return summary


def write_history(seed_dir: str, history: list[dict]) -> None:
  """`seed_dir`/metrics.jsonl: one JSON line per finished epoch."""
  os.makedirs(seed_dir, exist_ok=True)
  files.write_text(os.path.join(seed_dir, 'metrics.jsonl'), ''.join(json.dumps(record) + '\n' for record in history))


def read_history(workdir: str) -> list[dict]:
  """The per-epoch records of the run in `workdir` (its first seed's where it trained several, each in seed_<s>/);
  FileNotFoundError before its first epoch has finished."""
  path = os.path.join(workdir, 'metrics.jsonl')
  seeds = glob.glob(os.path.join(workdir, 'seed_*', 'metrics.jsonl'))
  if not os.path.exists(path) and seeds:
    path = min(seeds, key=lambda seed: int(os.path.basename(os.path.dirname(seed))[len('seed_'):]))
  with open(path) as f:
    return [json.loads(line) for line in f]


def epoch_line(records: list[dict], epochs: int, improved: bool, means: set[str]) -> str:
  """The epoch's line: its record (the means among its statistics, `means`), or with several seeds still
  training, their mean."""
  record = {k: float(np.mean([r[k] for r in records])) for k in records[0]}
  shown = [k for k in record if k.startswith(('train_', 'val_')) and k.split('_', 1)[1] in means]
  seeds = f'  (mean of {len(records)} seeds)' if len(records) > 1 else ''
  return (f'epoch {records[0]["epoch"]}/{epochs}  ' + '  '.join(f'{k} {record[k]:.4g}' for k in shown)
          + f'  ({record["epoch_seconds"]:.1f} s){"  *" if improved else ""}{seeds}')
