"""What a run reports: summaries of per-example metrics, and the epoch line."""
import numpy as np
import pytest

from timeread_jax import representations
from timeread_jax import results


def test_summaries_are_the_representation_s_statistics_of_what_was_computed():
  statistics = representations.statistics(representations.Periodic())
  summary = results.summarize({'loss': np.array([1.0, 3.0]), 'cse_minutes': np.arange(11.0), 'outputs': np.ones(2)},
                              statistics, 'val_')
  assert summary == {'val_loss': 2.0, 'val_cse_minutes': 5.0, 'val_cse_median_minutes': 5.0,
                     'val_cse_p90_minutes': pytest.approx(9.0), 'val_within_5_minutes': pytest.approx(6 / 11),
                     'val_within_1_minute': pytest.approx(2 / 11)}
  assert results.summarize({'loss': np.array([1.0])}, statistics) == {'loss': 1.0}  # no errors computed: none shown


@pytest.mark.parametrize('representation, better', [
    (representations.Categorical(), {'accuracy'}), (representations.TwoHead(), {'hour_accuracy', 'within_5_minutes',
                                                                               'within_1_minute'})])
def test_each_statistic_knows_its_direction(representation, better):
  statistics = representations.statistics(representation)
  assert {name for name, statistic in statistics.items() if statistic.higher_is_better} == better
  assert representation.headline in statistics


def test_the_epoch_line_shows_the_mean_of_the_seeds_still_training():
  records = [{'epoch': 3, 'train_loss': 1.0, 'val_loss': 2.0, 'val_cse_median_minutes': 7.0, 'epoch_seconds': 2.0},
             {'epoch': 3, 'train_loss': 3.0, 'val_loss': 4.0, 'val_cse_median_minutes': 9.0, 'epoch_seconds': 2.0}]
  line = results.epoch_line(records, 10, improved=True, means={'loss', 'cse_minutes'})
  assert line == 'epoch 3/10  train_loss 2  val_loss 3  (2.0 s)  *  (mean of 2 seeds)'
