"""timeread_jax: image classifiers and analog-clock readers in JAX/Flax."""
