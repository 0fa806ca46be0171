"""Figures written to the workdir: image grids, learning curves, error histograms (matplotlib, Agg)."""
import os

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
import numpy as np


def save_image_grid(path: str, images: np.ndarray, titles: list[str], ncols: int = 8) -> None:
  """Grayscale images (N, H, W) in a grid with a title under each, like the samples' picture."""
  nrows = -(-len(images) // ncols)
  fig, axes = plt.subplots(nrows, ncols, figsize=(1.6 * ncols, 1.8 * nrows), squeeze=False)
  for ax in axes.flat:
    ax.axis('off')
  for ax, image, title in zip(axes.flat, images, titles):
    ax.imshow(image, cmap='gray', vmin=0, vmax=255)
    ax.set_title(title, fontsize=9, y=-0.16)
  fig.tight_layout()
  _save(fig, path)


def _save(fig, path: str) -> None:
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  fig.savefig(path, dpi=100)
  plt.close(fig)
