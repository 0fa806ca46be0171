"""Importing the package makes XLA:CPU run convolutions with Eigen (every core) rather than YNNPACK (one core),
unless the user's XLA_FLAGS choose for themselves."""
import os
import pathlib
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent
_USES_YNNPACK = """
import timeread_jax
import jax
import jax.numpy as jnp
conv = lambda x, w: jax.lax.conv_general_dilated(x, w, (1, 1), 'SAME', dimension_numbers=('NHWC', 'HWIO', 'NHWC'))
print('__ynn_fusion' in jax.jit(conv).lower(jnp.ones((32, 38, 38, 16)), jnp.ones((3, 3, 16, 24))).compile().as_text())
"""


@pytest.mark.parametrize('xla_flags, uses_ynnpack', [
    ('', 'False'), ('--xla_cpu_experimental_ynn_fusion_type=individual_convolution', 'True')])
def test_convolutions_run_on_eigen_unless_the_user_says(xla_flags, uses_ynnpack):
  env = {**os.environ, 'XLA_FLAGS': xla_flags, 'JAX_PLATFORMS': 'cpu'}
  completed = subprocess.run([sys.executable, '-c', _USES_YNNPACK], cwd=REPO, env=env, capture_output=True, text=True,
                             timeout=120, check=False)
  assert completed.returncode == 0, completed.stderr[-2000:]
  assert completed.stdout.split()[-1] == uses_ynnpack
