"""Experiment entry points: `python -m experiments.<name> --flagfile=experiments/flags/<name>/<variant>.flags`."""
