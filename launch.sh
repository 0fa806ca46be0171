#!/usr/bin/env bash
# Sets up what is missing, then runs an experiment or the tests.
#
#   ./launch.sh EXPERIMENT [--flag=value ...]   python -m experiments.EXPERIMENT with experiments/flags/EXPERIMENT/base.flags
#                                               (gpu.flags instead, where there is one and nvidia-smi finds a GPU),
#                                               the flags given here overriding it (a variant: --flagfile=...)
#   ./launch.sh test [pytest args ...]          the test suite
#   ./launch.sh setup                           only the set-up: do it once before a multi-host launch
#
# Several hosts: every process runs the same command and they join through jax.distributed.
#   SLURM:   ./launch.sh setup && srun --nodes=2 --ntasks-per-node=1 ./launch.sh clock_twohead --workdir=/shared/run
#   TPU VM:  gcloud compute tpus tpu-vm ssh NAME --worker=all --command='cd timeread_jax && ./launch.sh setup &&
#            ./launch.sh clock_twohead --workdir=/shared/run'
#   by hand: ./launch.sh clock_twohead --coordinator_address=HOST0:1234 --num_processes=2 --process_id=RANK ...
# The workdir must be one folder that every host sees (Orbax writes each checkpoint from all of them).
#
# The virtual environment is .venv (or $TIMEREAD_VENV); it is rebuilt when pyproject.toml changes.
set -euo pipefail
cd "$(dirname "$0")"
venv="${TIMEREAD_VENV:-.venv}"
python="${PYTHON:-python3}"

setup() {  # setup EXTRAS: installs the package with these extras (comma-separated) unless already there
  local stamp="$venv/.timeread-installed" hash installed
  hash="$(sha256sum pyproject.toml | cut -d' ' -f1)"
  installed=""
  [[ -f "$stamp" && "$(head -n1 "$stamp")" == "$hash" ]] && installed="$(tail -n1 "$stamp")"
  local extras="$installed" missing=0 extra
  for extra in ${1//,/ }; do
    [[ ",$installed," == *",$extra,"* ]] && continue
    missing=1
    extras="${extras:+$extras,}$extra"
  done
  [[ -x "$venv/bin/python" && -n "$installed" && $missing == 0 ]] && return
  echo "setting up $venv (extras: $extras)..." >&2
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q -e ".[$extras]"
  printf '%s\n%s\n' "$hash" "$extras" > "$stamp"
}

if [[ $# -lt 1 ]]; then
  sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
command="$1"
shift
case "$command" in
  # One pytest worker per core, at most 4: most tests compile or wait on a subprocess, which overlap well.
  test) setup test,tfds,keras; exec "$venv/bin/python" -m pytest -q -n auto --maxprocesses=4 --dist worksteal "$@" ;;
  setup) setup test; exit 0 ;;
esac
if [[ ! -f "experiments/$command.py" ]]; then
  echo "error: no experiment '$command': see experiments/ for the modules" >&2
  exit 2
fi
setup test
flagfile="experiments/flags/$command/base.flags"
if [[ -f "experiments/flags/$command/gpu.flags" ]] && nvidia-smi -L >/dev/null 2>&1; then
  flagfile="experiments/flags/$command/gpu.flags"
fi
base=()
[[ -f "$flagfile" ]] && base=("--flagfile=$flagfile") && echo "flags: $flagfile" >&2
exec "$venv/bin/python" -m "experiments.$command" "${base[@]}" "$@"
