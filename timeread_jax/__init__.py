"""timeread_jax: image classifiers and analog-clock readers in JAX/Flax."""
import os

# XLA:CPU hands convolutions to YNNPACK, which runs each on one core and the weight gradients of large maps at a
# quarter of Eigen's rate; with Eigen's, the convnets here train 1.8x to 2x faster on a 2-core CPU
# (docs/speed.md). XLA reads XLA_FLAGS when JAX first uses a backend, so this import comes first; a choice of the
# user's own there wins.
if 'xla_cpu_experimental_ynn_fusion_type' not in os.environ.get('XLA_FLAGS', ''):
  os.environ['XLA_FLAGS'] = (os.environ.get('XLA_FLAGS', '') +
                             ' --xla_cpu_experimental_ynn_fusion_type=-individual_convolution').strip()
