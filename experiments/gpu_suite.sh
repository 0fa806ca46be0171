#!/usr/bin/env bash
# Every GPU figure of the README from one command, sized for a 9-minute lease of one GPU:
#
#   experiments/gpu_suite.sh OUT SECONDS
#
# 1. experiments.benchmark alone on the GPU: float32 (MLP, Géron CNN, ClockNet) and bfloat16 (the convnets).
# 2. Then, all at once on the same GPU: every clock variant at 150 px and the whole fashion_cnn suite, each in its
#    own process and workdir. A run still going SECONDS after the start gets SIGTERM (it saves and exits), then the
#    same command with --epochs set to the epochs it finished: the best of those is evaluated on test and written
#    to results.json, which then says how many epochs it had.
# 3. Where REAL_PHOTOS names Leiden folders (comma-separated), each clock reader is scored on them with 1 and 9
#    views (experiments.evaluate), one JSON line per folder and count in its workdir's real_photos.jsonl.
# 4. OUT gets results.tar.gz (each workdir without its checkpoints, the benchmark tables) and logs.tar.gz.
#
# ONLY="module/variant ..." trains those variants alone, without the benchmark (BENCHMARK=1 runs it all the same),
# and EXTRA_FLAGS="--epochs=N ..." is given to every run; e.g. two clock readers on a short lease:
#
#   ONLY="clock_twohead/gpu clock_periodic/fresh" EXTRA_FLAGS="--epochs=150 --schedule=cosine" \
#     REAL_PHOTOS=workdirs/real-clock-dev,workdirs/wild-clock-dev experiments/gpu_suite.sh OUT 420
#
# Fashion-MNIST is read from /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist), or where
# FASHION_FLAGS="--data_dir=DIR" says (given to the fashion runs only; CLOCK_FLAGS to the clock runs only). The sizes are a GPU's; the test suite runs
# every part on a CPU at toy sizes (tests/test_gpu_suite.py) with CLOCKS (the synthetic set, 18000),
# BENCH_STEPS (400), BENCH_REPEATS (5), BENCH_FLOAT32 and BENCH_BFLOAT16 (the benchmarks' models; none: no
# bfloat16 benchmark) and ROOT (where the runs go, workdirs/gpu).
set -u
out=$(realpath "${1:?usage: experiments/gpu_suite.sh OUT SECONDS}")
deadline=${2:?usage: experiments/gpu_suite.sh OUT SECONDS}
python=${PYTHON:-python3}
root=${ROOT:-workdirs/gpu}
clocks=${CLOCKS:-18000}
export PYTHONUNBUFFERED=1 TIMEREAD_CACHE=${TIMEREAD_CACHE:-$PWD/.cache/gpu}
mkdir -p "$out" "$root/logs"

say() { echo "[$SECONDS s] $*"; }

$python -c 'import jax, flax, optax, orbax.checkpoint; print("jax", jax.__version__, "flax", flax.__version__,
"optax", optax.__version__, jax.devices())' || exit 1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || echo "no GPU: nvidia-smi failed"

say "rendering the synthetic set"
$python -m experiments.make_clocks --count="$clocks" --render_seed=0 --out_dir="$root/clocks" || exit 1
$python -c "from timeread_jax import synthetic; synthetic.cached_clocks($clocks, synthetic.SEED, synthetic.cache_dir())"
rm -rf "$root/clocks"

benchmark() {  # dtype models
  say "benchmark $1"
  timeout 150 $python -m experiments.benchmark --keras_backend=none --dtype="$1" --models="$2" \
    --conv_steps="${BENCH_STEPS:-400}" --repeats="${BENCH_REPEATS:-5}" --workdir="$root/benchmark_$1" \
    >"$root/logs/benchmark_$1.log" 2>&1
  tail -n 8 "$root/logs/benchmark_$1.log"
}
if [ -z "${ONLY:-}" ] || [ "${BENCHMARK:-0}" = 1 ]; then
  benchmark float32 "${BENCH_FLOAT32:-mlp,geron_cnn,clocknet}"
  [ "${BENCH_BFLOAT16:-}" = none ] || benchmark bfloat16 "${BENCH_BFLOAT16:-geron_cnn,clocknet}"
fi

train() {  # name module flagfile [flags...]
  local name=$1 module=$2 flagfile=$3 log=$root/logs/${1//\//_}.log
  shift 3
  local command=($python -m "experiments.$module" --flagfile="$flagfile" --workdir="$root/$name" "$@" ${EXTRA_FLAGS:-})
  [[ $module == fashion_* ]] && command+=(${FASHION_FLAGS:-})
  [[ $module == clock_* ]] && command+=(${CLOCK_FLAGS:-})
  timeout -s TERM $((deadline - SECONDS)) "${command[@]}" >"$log" 2>&1
  if [ $? -eq 124 ] && [ -s "$root/$name/metrics.jsonl" ]; then
    "${command[@]}" --epochs="$(wc -l <"$root/$name/metrics.jsonl")" >>"$log" 2>&1
  fi
  say "$name: $(tail -n 1 "$log")"
}

export XLA_PYTHON_CLIENT_PREALLOCATE=false  # many processes share the GPU
say "training until ${deadline} s"
flags=experiments/flags
variants=${ONLY:-clock_twohead/gpu clock_twohead/fixed clock_twohead/report clock_classify/base clock_classify/720
  clock_regress/base clock_regress/cyclic clock_periodic/base clock_periodic/hands $(
  cd "$flags" && ls fashion_cnn/*.flags | sed 's/\.flags$//')}
for variant in $variants; do
  train "$variant" "${variant%/*}" "$flags/$variant.flags" &
done
wait
if [[ " $(echo $variants) " == *" fashion_cnn/"* ]]; then
  $python -c "from experiments import report; print(report.write_report('fashion_cnn', '$root/fashion_cnn', {}))"
fi

if [ -n "${REAL_PHOTOS:-}" ]; then
  for variant in $variants; do
    [[ $variant == clock_* ]] || continue
    for views in 1 9; do
      $python -m experiments.evaluate --reader="$root/$variant" --rotations=$views --eval_dirs="$REAL_PHOTOS"
    done >"$root/$variant/real_photos.jsonl" 2>>"$root/logs/evaluate.log"
    say "$variant on real photos:"
    cat "$root/$variant/real_photos.jsonl"
  done
fi

tar -czf "$out/results.tar.gz" --exclude=checkpoints "$root"
tar -czf "$out/logs.tar.gz" "$root/logs"
say done
