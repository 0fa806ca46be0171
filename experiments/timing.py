"""How the benchmarks time a jitted function: the fastest of repeated calls, since other load on the machine only
ever slows a call down."""
import time

from absl import flags
import jax

_REPEATS = flags.DEFINE_integer('repeats', 3, 'Timed repeats of each measurement, after a first, compiling one.',
                                lower_bound=1)


def repeats() -> int:
  return _REPEATS.value


def fastest_seconds(function, *args, repeats: int) -> float:
  """Seconds taken by the fastest of `repeats` calls of `function(*args)`, after a first call that compiles it."""
  jax.block_until_ready(function(*args))
  seconds = []
  for _ in range(repeats):
    start = time.perf_counter()
    jax.block_until_ready(function(*args))
    seconds.append(time.perf_counter() - start)
  return min(seconds)
