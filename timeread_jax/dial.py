"""The 12-hour dial's arithmetic: times as minutes on the dial, and the report's common-sense error between two."""
import jax.numpy as jnp

MINUTES_PER_DIAL = 720  # the 12-hour dial


def dial_minutes(labels):
  """(hour 0-11, minute 0-59) pairs -> minutes past 12:00 on the dial, 0-719."""
  return labels[..., 0] * 60 + labels[..., 1]


def common_sense_minutes(predicted_minutes, true_minutes):
  """The shortest way around the 12-hour dial between two times, in minutes (0 to 360)."""
  difference = jnp.abs(predicted_minutes - true_minutes) % MINUTES_PER_DIAL
  return jnp.minimum(difference, MINUTES_PER_DIAL - difference)
