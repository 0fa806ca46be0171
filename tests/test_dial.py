import numpy as np
import pytest

from timeread_jax import dial


def test_dial_minutes():
  np.testing.assert_array_equal(dial.dial_minutes(np.array([[0, 0], [3, 40], [11, 59]])), [0, 220, 719])


@pytest.mark.parametrize('predicted, true, expected', [
    (0, 0, 0), (10, 20, 10), (719, 0, 1), (0, 719, 1), (0, 360, 360), (100, 460, 360), (1, 362, 359),
    (725, 5, 0), (10.5, 0, 10.5)])
def test_common_sense_minutes(predicted, true, expected):
  assert float(dial.common_sense_minutes(np.float32(predicted), np.float32(true))) == pytest.approx(expected)


def test_common_sense_minutes_is_symmetric_and_at_most_360():
  rng = np.random.default_rng(0)
  a, b = rng.uniform(0, 720, 1000), rng.uniform(0, 720, 1000)
  forward, backward = dial.common_sense_minutes(a, b), dial.common_sense_minutes(b, a)
  np.testing.assert_allclose(forward, backward, atol=1e-9)
  assert np.all((forward >= 0) & (forward <= 360))
