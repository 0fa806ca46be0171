#!/usr/bin/env bash
# Sets up what is missing, then runs an experiment or the tests.
#
#   ./launch.sh EXPERIMENT [--flag=value ...]   python -m experiments.EXPERIMENT with experiments/flags/EXPERIMENT/base.flags,
#                                               the flags given here overriding it (a variant: --flagfile=...)
#   ./launch.sh test [pytest args ...]          the test suite
#
# The virtual environment is .venv (or $TIMEREAD_VENV); it is rebuilt when pyproject.toml changes.
set -euo pipefail
cd "$(dirname "$0")"
venv="${TIMEREAD_VENV:-.venv}"
python="${PYTHON:-python3}"

setup() {
  local stamp="$venv/.timeread-installed"
  local want
  want="$(sha256sum pyproject.toml | cut -d' ' -f1) $1"
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
    echo "setting up $venv (extras: $1)..." >&2
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --upgrade pip
    "$venv/bin/python" -m pip install -q -e ".[$1]"
    echo "$want" > "$stamp"
  fi
}

if [[ $# -lt 1 ]]; then
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
command="$1"
shift
if [[ "$command" == test ]]; then
  setup test,tfds
  exec "$venv/bin/python" -m pytest -q "$@"
fi
if [[ ! -f "experiments/$command.py" ]]; then
  echo "error: no experiment '$command' (experiments: $(ls experiments | sed -n 's/\.py$//p' | grep -v -e common -e clock$ -e __init__ | tr '\n' ' '))" >&2
  exit 2
fi
setup test
flagfile="experiments/flags/$command/base.flags"
base=()
[[ -f "$flagfile" ]] && base=("--flagfile=$flagfile")
exec "$venv/bin/python" -m "experiments.$command" "${base[@]}" "$@"
