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
# 3. OUT gets results.tar.gz (each workdir without its checkpoints, the benchmark tables) and logs.tar.gz.
#
# Fashion-MNIST is read from /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist) or --data_dir.
set -u
out=$(realpath "${1:?usage: experiments/gpu_suite.sh OUT SECONDS}")
deadline=${2:?usage: experiments/gpu_suite.sh OUT SECONDS}
python=${PYTHON:-python3}
root=workdirs/gpu
export PYTHONUNBUFFERED=1 TIMEREAD_CACHE=$PWD/.cache/gpu
mkdir -p "$out" "$root/logs"

say() { echo "[$SECONDS s] $*"; }

$python -c 'import jax, flax, optax, orbax.checkpoint; print("jax", jax.__version__, "flax", flax.__version__,
"optax", optax.__version__, jax.devices())' || exit 1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader

say "rendering the synthetic set"
$python -m experiments.make_clocks --num_examples=18000 --seed=0 --out="$root/clocks18k"
$python -c 'from timeread_jax import clocks; clocks.cached_clocks(18000, clocks.SYNTHETIC_SEED, clocks.cache_dir())'
rm -rf "$root/clocks18k"

benchmark() {  # dtype models
  say "benchmark $1"
  timeout 150 $python -m experiments.benchmark --keras_backend=none --dtype="$1" --models="$2" --conv_steps=400 \
    --repeats=5 --workdir="$root/benchmark_$1" >"$root/logs/benchmark_$1.log" 2>&1
  tail -n 8 "$root/logs/benchmark_$1.log"
}
benchmark float32 mlp,geron_cnn,clocknet
benchmark bfloat16 geron_cnn,clocknet

train() {  # name module flagfile [flags...]
  local name=$1 module=$2 flagfile=$3 log=$root/logs/${1//\//_}.log
  shift 3
  local command=($python -m "experiments.$module" --flagfile="$flagfile" --workdir="$root/$name" "$@")
  timeout -s TERM $((deadline - SECONDS)) "${command[@]}" >"$log" 2>&1
  if [ $? -eq 124 ] && [ -s "$root/$name/metrics.jsonl" ]; then
    "${command[@]}" --epochs="$(wc -l <"$root/$name/metrics.jsonl")" >>"$log" 2>&1
  fi
  say "$name: $(tail -n 1 "$log")"
}

export XLA_PYTHON_CLIENT_PREALLOCATE=false  # many processes share the GPU
say "training until ${deadline} s"
flags=experiments/flags
train clock_twohead/gpu clock_twohead $flags/clock_twohead/gpu.flags &
for variant in clock_twohead/fixed clock_twohead/report clock_classify/base clock_classify/720 clock_regress/base \
               clock_regress/cyclic clock_periodic/base clock_periodic/hands; do
  train "$variant" "${variant%/*}" "$flags/$variant.flags" &
done
for flagfile in "$flags"/fashion_cnn/*.flags; do
  variant=$(basename "$flagfile" .flags)
  train "fashion_cnn/$variant" fashion_cnn "$flagfile" &
done
wait
$python -c "from experiments import report; print(report.write_report('fashion_cnn', '$root/fashion_cnn', {}))"

tar -czf "$out/results.tar.gz" --exclude=checkpoints "$root"
tar -czf "$out/logs.tar.gz" "$root/logs"
say done
