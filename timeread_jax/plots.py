"""Figures written to the workdir: image grids, learning curves, error histograms (matplotlib's Figure, no pyplot)."""
import os

from matplotlib.figure import Figure
import numpy as np


def save_image_grid(path: str, images: np.ndarray, titles: list[str], ncols: int = 8) -> None:
  """Grayscale images (N, H, W) in a grid with a title under each, like the samples' picture."""
  nrows = -(-len(images) // ncols)
  fig = Figure(figsize=(1.6 * ncols, 1.8 * nrows))
  axes = fig.subplots(nrows, ncols, squeeze=False)
  for ax in axes.flat:
    ax.axis('off')
  for ax, image, title in zip(axes.flat, images, titles):
    ax.imshow(image, cmap='gray', vmin=0, vmax=255)
    ax.set_title(title, fontsize=9, y=-0.16)
  fig.tight_layout()
  _save(fig, path)


def learning_curves(path: str, history: list[dict], metric: str, higher_is_better: bool) -> None:
  """Train and validation loss per epoch, and the task's headline metric beside it (the report's Figures 1, 5-7).

  Losses and errors on a log scale: a long run's last halvings are what tell its recipes apart.
  """
  epochs = [record['epoch'] for record in history]
  fig = Figure(figsize=(11, 4))
  for ax, name, log_scale in zip(fig.subplots(1, 2), ('loss', metric), (True, not higher_is_better)):
    for split in ('train', 'val'):
      if f'{split}_{name}' in history[0]:
        ax.plot(epochs, [record[f'{split}_{name}'] for record in history], marker='.' if len(epochs) <= 60 else None,
                label=split)
    if log_scale:
      ax.set_yscale('log')
    ax.set_xlabel('epoch')
    ax.set_ylabel(name)
    ax.legend()
    ax.grid(alpha=0.3)
  fig.tight_layout()
  _save(fig, path)


def error_histogram(path: str, cse_minutes: np.ndarray) -> None:
  """The distribution of the common-sense error on the test set (the report's Figure 6)."""
  fig = Figure(figsize=(6, 4))
  ax = fig.subplots()
  ax.hist(cse_minutes, bins=np.linspace(0, 360, 73))
  ax.set_yscale('log')
  ax.set_xlabel('common-sense error (minutes)')
  ax.set_ylabel('test images')
  ax.set_title(f'mean {np.mean(cse_minutes):.2f} min, median {np.median(cse_minutes):.2f} min')
  fig.tight_layout()
  _save(fig, path)


def _save(fig, path: str) -> None:
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  fig.savefig(path, dpi=100)  # a Figure of its own, not pyplot's: nothing global to close, and no GUI backend
