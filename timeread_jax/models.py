"""Flax Linen trunks with the head on top: every model maps images to `num_outputs` raw outputs, its last layer
named `head` (what a trunk transfer leaves behind, and what --head_only_epochs trains alone).

The report's architectures are reproduced layer for layer (parameter counts are tested against the
Keras-documented counts); options are fields so that each ablation is a flag, not a copy of the model.
"""
import functools
from typing import Sequence

import flax.linen as nn
import jax
from jax import lax
import jax.numpy as jnp

WEIGHT_GRADIENT_CHUNK = 8  # examples per part of a convolution's weight gradient on one CPU device


def activation_fn(name: str, leaky_slope: float = 0.1):
  if name == 'relu':
    return nn.relu
  if name == 'leaky_relu':
    return functools.partial(nn.leaky_relu, negative_slope=leaky_slope)
  raise ValueError(f'unknown activation {name!r}: use relu or leaky_relu')


def max_pool_2x2(x):
  """2x2 max-pooling with stride 2, dropping an odd last row or column (nn.max_pool's VALID padding).

  The elementwise maximum of four strided slices rather than nn.max_pool's reduce_window, whose gradient
  (select-and-scatter) XLA:CPU runs slowly (docs/speed.md).
  Not a reshape and a max either: on a map of odd size, after batch norm and split over several devices, XLA's
  CPU backend got that one's gradient wrong (jax 0.10.2; tests/test_distributed.py holds the step to one
  device's). The values are nn.max_pool's; where a window holds several equal maxima their gradient is shared out
  instead of going to one of them.
  """
  height, width = x.shape[1] // 2 * 2, x.shape[2] // 2 * 2
  rows = jnp.maximum(x[:, 0:height:2, 0:width:2], x[:, 1:height:2, 0:width:2])
  return jnp.maximum(rows, jnp.maximum(x[:, 0:height:2, 1:width:2], x[:, 1:height:2, 1:width:2]))


def conv_general_dilated(lhs, rhs, *args, **kwargs):
  """lax.conv_general_dilated, whose weight gradient on one CPU device is summed over chunks of 8 examples.

  XLA:CPU (Eigen, see __init__.py) computes a weight gradient as one contraction over the whole batch and map; on
  the clock readers' large early maps, chunks of 8 examples run it 1.2x to 1.3x faster, and train the 75 px reader
  on fresh clocks about 10% faster (docs/speed.md). On other backends, over several devices (whose slices of the
  batch a chunk would cut across), and for a batch of one chunk, it is lax's own.
  """
  if jax.default_backend() != 'cpu' or jax.device_count() > 1 or lhs.shape[0] <= WEIGHT_GRADIENT_CHUNK:
    return lax.conv_general_dilated(lhs, rhs, *args, **kwargs)
  return _chunked_weight_gradient(lambda x, w: lax.conv_general_dilated(x, w, *args, **kwargs), lhs, rhs)


@functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
def _chunked_weight_gradient(conv, lhs, rhs):
  return conv(lhs, rhs)


def _chunked_forward(conv, lhs, rhs):
  return conv(lhs, rhs), (lhs, rhs)


def _chunked_backward(conv, inputs, grad):
  lhs, rhs = inputs
  chunk = WEIGHT_GRADIENT_CHUNK
  lhs_grad = jax.vjp(lambda x: conv(x, rhs), lhs)[1](grad)[0]
  rhs_grad = sum(jax.vjp(lambda w: conv(lhs[start:start + chunk], w), rhs)[1](grad[start:start + chunk])[0]
                 for start in range(0, lhs.shape[0], chunk))
  return lhs_grad, rhs_grad


_chunked_weight_gradient.defvjp(_chunked_forward, _chunked_backward)
Conv = functools.partial(nn.Conv, conv_general_dilated=conv_general_dilated)


class MLP(nn.Module):
  """Géron's Fashion-MNIST MLP (Flatten-300-100-10), with the report's ablations as options."""
  num_outputs: int
  hidden: Sequence[int] = (300, 100)
  activation: str = 'relu'
  batch_norm: bool = False
  dropout: float = 0.0
  dtype: jnp.dtype = jnp.float32

  @nn.compact
  def __call__(self, x, train: bool):
    x = x.reshape((x.shape[0], -1)).astype(self.dtype)
    act = activation_fn(self.activation)
    for width in self.hidden:
      x = nn.Dense(width, dtype=self.dtype)(x)
      if self.batch_norm:
        x = nn.BatchNorm(use_running_average=not train, momentum=0.99, epsilon=1e-3, dtype=self.dtype)(x)
      x = act(x)
      if self.dropout:
        x = nn.Dropout(self.dropout, deterministic=not train)(x)
    return nn.Dense(self.num_outputs, dtype=self.dtype, name='head')(x)


class GeronCNN(nn.Module):
  """Géron's CNN (p.461): Conv64 7x7, pool, 2x Conv128, pool, 2x Conv256, pool, Dense128-64 with dropout."""
  num_outputs: int
  activation: str = 'relu'
  padding: str = 'SAME'  # 'VALID' drops the second pool, as in the report, to keep a feature map
  extra_conv: bool = False  # a third Conv256 3x3 after the two
  batch_norm: bool = False  # after each convolution, before its activation (beyond the report)
  dropout: float = 0.5
  last_dropout: float = 0.5
  dtype: jnp.dtype = jnp.float32

  @nn.compact
  def __call__(self, x, train: bool):
    act = activation_fn(self.activation)

    def conv(x, features, kernel):
      x = Conv(features, kernel, padding=self.padding, use_bias=not self.batch_norm, dtype=self.dtype)(x)
      if self.batch_norm:
        x = nn.BatchNorm(use_running_average=not train, momentum=0.9, dtype=self.dtype)(x)
      return act(x)

    x = max_pool_2x2(conv(x.astype(self.dtype), 64, (7, 7)))
    x = conv(x, 128, (3, 3))
    x = conv(x, 128, (3, 3))
    if self.padding == 'SAME':
      x = max_pool_2x2(x)
    for _ in range(3 if self.extra_conv else 2):
      x = conv(x, 256, (3, 3))
    x = max_pool_2x2(x)
    x = x.reshape((x.shape[0], -1))
    x = nn.Dropout(self.dropout, deterministic=not train)(act(nn.Dense(128, dtype=self.dtype)(x)))
    x = nn.Dropout(self.last_dropout, deterministic=not train)(act(nn.Dense(64, dtype=self.dtype)(x)))
    return nn.Dense(self.num_outputs, dtype=self.dtype, name='head')(x)


class ReportClockCNN(nn.Module):
  """The report's clock reader: Conv32 5x5 and 3x3 blocks with max-pooling, then Dense 1024-512-256-128-64-32."""
  num_outputs: int
  dense: Sequence[int] = (1024, 512, 256, 128, 64, 32)
  dtype: jnp.dtype = jnp.float32

  @nn.compact
  def __call__(self, x, train: bool):
    x = x.astype(self.dtype)
    for kernel in (5, 3, 3):
      x = max_pool_2x2(nn.relu(Conv(32, (kernel, kernel), dtype=self.dtype)(x)))
    x = x.reshape((x.shape[0], -1))
    for width in self.dense:
      x = nn.relu(nn.Dense(width, dtype=self.dtype)(x))
    return nn.Dense(self.num_outputs, dtype=self.dtype, name='head')(x)


def space_to_depth(x, block: int):
  """NHWC maps cut into block x block patches, each patch's pixels stacked as channels; a map whose side is not a
  multiple of `block` is padded with zeros at its bottom and right first."""
  batch, height, width, channels = x.shape
  x = jnp.pad(x, ((0, 0), (0, -height % block), (0, -width % block), (0, 0)))
  rows, cols = x.shape[1] // block, x.shape[2] // block
  x = x.reshape(batch, rows, block, cols, block, channels).transpose(0, 1, 3, 2, 4, 5)
  return x.reshape(batch, rows, cols, block * block * channels)


class ClockNet(nn.Module):
  """Our clock reader: a stem, conv-BN-ReLU stages that each halve the map, and a dense layer.

  The stem is 3x3 convolutions of `stem` channels, the first strided by 2 on the picture, or with
  `space_to_depth=k` at stride 1 on the picture's k x k patches: the large early maps, whose weight gradients
  XLA:CPU computes slowly, are never made and no pixel is lost, but the reader learns less per epoch
  (docs/speed.md). Flattening (rather than global pooling) keeps where each feature is, which is what a dial
  reading needs.
  """
  num_outputs: int
  widths: Sequence[int] = (32, 64, 128, 256)
  dense: int = 256
  stem: Sequence[int] = (16,)
  space_to_depth: int = 0
  dtype: jnp.dtype = jnp.float32

  @nn.compact
  def __call__(self, x, train: bool):
    norm = functools.partial(nn.BatchNorm, use_running_average=not train, momentum=0.9, dtype=self.dtype)
    x = x.astype(self.dtype)
    if self.space_to_depth:
      x = space_to_depth(x, self.space_to_depth)
    for layer, width in enumerate(self.stem):
      strides = (1, 1) if layer or self.space_to_depth else (2, 2)
      x = nn.relu(norm()(Conv(width, (3, 3), strides=strides, use_bias=False, dtype=self.dtype)(x)))
    for width in self.widths:
      x = Conv(width, (3, 3), use_bias=False, dtype=self.dtype)(x)
      x = max_pool_2x2(nn.relu(norm()(x)))
    x = x.reshape((x.shape[0], -1))
    x = nn.relu(norm()(nn.Dense(self.dense, use_bias=False, dtype=self.dtype)(x)))
    return nn.Dense(self.num_outputs, dtype=self.dtype, name='head')(x)


class ResNet(nn.Module):
  """A small residual network for 28-32 px images: He et al. 2016's three-stage CIFAR design at ResNet-18's widths.

  A Conv3x3 stem, then stages of two basic blocks each (conv-BN-ReLU-conv-BN plus the shortcut), every stage
  after the first halving the map with a strided convolution, then global average pooling: beyond the report,
  for our best Fashion-MNIST CNN. Each block's last BatchNorm starts at zero, so every block starts as the identity.
  """
  num_outputs: int
  widths: Sequence[int] = (64, 128, 256)
  blocks_per_stage: int = 2
  dtype: jnp.dtype = jnp.float32

  @nn.compact
  def __call__(self, x, train: bool):
    norm = functools.partial(nn.BatchNorm, use_running_average=not train, momentum=0.9, dtype=self.dtype)
    conv = functools.partial(Conv, kernel_size=(3, 3), use_bias=False, dtype=self.dtype)
    x = nn.relu(norm()(conv(self.widths[0])(x.astype(self.dtype))))
    for stage, width in enumerate(self.widths):
      for block in range(self.blocks_per_stage):
        strides = (2, 2) if stage and not block else (1, 1)
        y = nn.relu(norm()(conv(width, strides=strides)(x)))
        y = norm(scale_init=nn.initializers.zeros)(conv(width)(y))
        if x.shape != y.shape:
          x = norm()(Conv(width, (1, 1), strides=strides, use_bias=False, dtype=self.dtype)(x))
        x = nn.relu(x + y)
    return nn.Dense(self.num_outputs, dtype=self.dtype, name='head')(x.mean(axis=(1, 2)))


MODELS = {
    'mlp': MLP,
    'geron_cnn': GeronCNN,
    'report_clock_cnn': ReportClockCNN,
    'clocknet': ClockNet,
    'resnet': ResNet,
}


def build(name: str, num_outputs: int, **options) -> nn.Module:
  """The model called `name` with a head of `num_outputs`, e.g. build('mlp', 10, dropout=0.5). Lists (as a config
  read from JSON holds them) become tuples, so that equal models hash alike and share their compiled programs."""
  options = {key: tuple(value) if isinstance(value, list) else value for key, value in options.items()}
  return MODELS[name](num_outputs=num_outputs, **options)
