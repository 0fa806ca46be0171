"""The figures: what each one plots, read back from the matplotlib figure before it is saved."""
import matplotlib.pyplot as plt
import numpy as np
import pytest

from timeread_jax import plots


@pytest.fixture
def saved(monkeypatch):
  """The figures the plots module saves, in order, still open; `_save` is where every figure ends."""
  figures = []
  monkeypatch.setattr(plots, '_save', lambda fig, path: figures.append(fig))
  yield figures
  for fig in figures:
    plt.close(fig)


def _history(metric, epochs=3):
  return [{'epoch': epoch, 'train_loss': 1 / epoch, 'val_loss': 2 / epoch, f'train_{metric}': 0.5 + epoch / 10,
           f'val_{metric}': 0.4 + epoch / 10} for epoch in range(1, epochs + 1)]


@pytest.mark.parametrize('metric, higher_is_better, metric_scale', [('cse_minutes', False, 'log'),
                                                                   ('accuracy', True, 'linear')])
def test_learning_curves_plot_losses_and_errors_on_a_log_scale_and_accuracies_on_a_linear_one(
    saved, metric, higher_is_better, metric_scale):
  plots.learning_curves('unused.png', _history(metric), metric, higher_is_better)
  (fig,) = saved
  loss_axes, metric_axes = fig.axes
  assert (loss_axes.get_ylabel(), loss_axes.get_yscale()) == ('loss', 'log')
  assert (metric_axes.get_ylabel(), metric_axes.get_yscale()) == (metric, metric_scale)
  assert [line.get_label() for line in metric_axes.get_lines()] == ['train', 'val']
  np.testing.assert_allclose(metric_axes.get_lines()[1].get_ydata(), [0.5, 0.6, 0.7])


def test_long_runs_are_drawn_as_lines_without_markers(saved):
  plots.learning_curves('unused.png', _history('accuracy', epochs=61), 'accuracy', True)
  assert {line.get_marker() for line in saved[0].axes[0].get_lines()} == {'None'}


def test_figures_are_written_where_asked(tmp_path):
  plots.learning_curves(str(tmp_path / 'plots' / 'curves.png'), _history('cse_minutes'), 'cse_minutes', False)
  plots.error_histogram(str(tmp_path / 'hist.png'), np.array([0.5, 3.0, 200.0]))
  plots.save_image_grid(str(tmp_path / 'grid.png'), np.zeros((3, 8, 8), np.uint8), ['a', 'b', 'c'], ncols=2)
  for name in ('plots/curves.png', 'hist.png', 'grid.png'):
    assert (tmp_path / name).read_bytes().startswith(b'\x89PNG')
