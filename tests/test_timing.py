"""The benchmarks' timer: it compiles first, then keeps the fastest of the timed calls."""
from experiments import timing


def test_fastest_seconds_times_each_call_after_a_first_one_and_keeps_the_fastest(monkeypatch):
  clock = iter([10.0, 13.0, 20.0, 21.5, 30.0, 32.0])  # the timed calls take 3, 1.5 and 2 seconds
  monkeypatch.setattr(timing.time, 'perf_counter', lambda: next(clock))
  calls = []
  seconds = timing.fastest_seconds(lambda x, y: calls.append((x, y)) or x + y, 1, 2, repeats=3)
  assert seconds == 1.5
  assert calls == [(1, 2)] * 4
