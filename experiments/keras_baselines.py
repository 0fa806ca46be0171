"""Keras 3 twins of the Flax models, trained the way train.py trains them: the baselines of experiments.compare_keras.

A twin is read off the Flax module itself (its fields are the twin's options), layer for layer, with Flax's
initializers (LeCun-normal kernels, zero biases) where Keras' defaults differ, so that both frameworks start from
the same distribution; Keras' own defaults otherwise (compile's jit_compile='auto' runs XLA on either backend).
Keras fixes its backend when it is imported, so each backend runs this module in a process of its own,
`python -m experiments.keras_baselines CONFIG_JSON RESULT_JSON` with KERAS_BACKEND set; nothing else in the
project imports Keras, and the library (timeread_jax) never does.
"""
import functools
import importlib
import json
import sys
import time

import keras
import numpy as np

from timeread_jax import files
from timeread_jax import dial
from timeread_jax import models
from timeread_jax import representations
from timeread_jax import results
from timeread_jax import datasets
from timeread_jax.config import Config
from timeread_jax.steps import EVAL_BATCH_SIZE
from timeread_jax.build import model_input

# Flax's defaults where Keras' differ: Keras initializes kernels Glorot-uniform and pads convolutions 'valid'.
_dense = functools.partial(keras.layers.Dense, kernel_initializer='lecun_normal')
_conv = functools.partial(keras.layers.Conv2D, kernel_initializer='lecun_normal', padding='same')
_pool = functools.partial(keras.layers.MaxPooling2D, pool_size=2, strides=2)
_norm = functools.partial(keras.layers.BatchNormalization, momentum=0.9, epsilon=1e-5)  # the convnets' Flax settings
_ACTIVATIONS = {'relu': keras.layers.ReLU,
                'leaky_relu': functools.partial(keras.layers.LeakyReLU, negative_slope=0.1)}  # models.activation_fn


def _mlp(model: models.MLP) -> list:
  layers = [keras.layers.Flatten()]
  for width in model.hidden:
    layers.append(_dense(width))
    if model.batch_norm:
      layers.append(keras.layers.BatchNormalization(momentum=0.99, epsilon=1e-3))
    layers.append(_ACTIVATIONS[model.activation]())
    if model.dropout:
      layers.append(keras.layers.Dropout(model.dropout))
  return [*layers, _dense(model.num_outputs)]


def _geron_cnn(model: models.GeronCNN) -> list:
  activation = _ACTIVATIONS[model.activation]

  def conv(features, kernel):
    layer = _conv(features, kernel, padding=model.padding.lower(), use_bias=not model.batch_norm)
    return [layer, _norm(), activation()] if model.batch_norm else [layer, activation()]

  layers = [*conv(64, 7), _pool(), *conv(128, 3), *conv(128, 3)]
  if model.padding == 'SAME':
    layers.append(_pool())
  for _ in range(3 if model.extra_conv else 2):
    layers += conv(256, 3)
  return [*layers, _pool(), keras.layers.Flatten(),
          _dense(128), activation(), keras.layers.Dropout(model.dropout),
          _dense(64), activation(), keras.layers.Dropout(model.last_dropout),
          _dense(model.num_outputs)]


def _report_clock_cnn(model: models.ReportClockCNN) -> list:
  layers = []
  for kernel in (5, 3, 3):
    layers += [_conv(32, kernel), keras.layers.ReLU(), _pool()]
  layers.append(keras.layers.Flatten())
  for width in model.dense:
    layers += [_dense(width), keras.layers.ReLU()]
  return [*layers, _dense(model.num_outputs)]


class _SpaceToDepth(keras.layers.Layer):
  """models.space_to_depth, in keras.ops for every backend."""

  def __init__(self, block: int, **kwargs):
    super().__init__(**kwargs)
    self.block = block

  def call(self, x):
    _, height, width, channels = x.shape
    block = self.block
    x = keras.ops.pad(x, ((0, 0), (0, -height % block), (0, -width % block), (0, 0)))
    rows, cols = x.shape[1] // block, x.shape[2] // block
    x = keras.ops.transpose(keras.ops.reshape(x, (-1, rows, block, cols, block, channels)), (0, 1, 3, 2, 4, 5))
    return keras.ops.reshape(x, (-1, rows, cols, block * block * channels))


def _clock_net(model: models.ClockNet) -> list:
  layers = [_SpaceToDepth(model.space_to_depth)] if model.space_to_depth else []
  for layer, width in enumerate(model.stem):
    strides = 1 if layer or model.space_to_depth else 2
    layers += [_conv(width, 3, strides=strides, use_bias=False), _norm(), keras.layers.ReLU()]
  for width in model.widths:
    layers += [_conv(width, 3, use_bias=False), _norm(), keras.layers.ReLU(), _pool()]
  return [*layers, keras.layers.Flatten(), _dense(model.dense, use_bias=False), _norm(), keras.layers.ReLU(),
          _dense(model.num_outputs)]


class _ResidualBlock(keras.layers.Layer):
  """models.ResNet's basic block; its sublayers are made in the order Flax makes them, and so hold their weights."""

  def __init__(self, width: int, strides: int, project: bool, **kwargs):
    super().__init__(**kwargs)
    self.conv = _conv(width, 3, strides=strides, use_bias=False)
    self.norm = _norm()
    self.last_conv = _conv(width, 3, use_bias=False)
    self.last_norm = _norm(gamma_initializer='zeros')
    self.shortcut = [_conv(width, 1, strides=strides, use_bias=False), _norm()] if project else []

  def call(self, x, training=None):
    y = keras.ops.relu(self.norm(self.conv(x), training=training))
    y = self.last_norm(self.last_conv(y), training=training)
    for layer in self.shortcut:
      x = layer(x, training=training)
    return keras.ops.relu(x + y)


def _resnet(model: models.ResNet) -> list:
  layers = [_conv(model.widths[0], 3, use_bias=False), _norm(), keras.layers.ReLU()]
  in_width = model.widths[0]
  for stage, width in enumerate(model.widths):
    for block in range(model.blocks_per_stage):
      strides = 2 if stage and not block else 1
      layers.append(_ResidualBlock(width, strides, project=strides != 1 or in_width != width))
      in_width = width
  return [*layers, keras.layers.GlobalAveragePooling2D(), _dense(model.num_outputs)]


_TWINS = {models.MLP: _mlp, models.GeronCNN: _geron_cnn, models.ReportClockCNN: _report_clock_cnn,
          models.ClockNet: _clock_net, models.ResNet: _resnet}


def build_model(config: Config, input_shape: tuple[int, ...]) -> keras.Model:
  """The Keras twin of the model `config` names, for NHWC inputs of `input_shape` (without the batch)."""
  # Sets the global policy either way, so that a bfloat16 twin leaves no trace on the next one.
  keras.config.set_dtype_policy('mixed_bfloat16' if config.dtype == 'bfloat16' else 'float32')
  representation = representations.build(config.representation, **config.representation_options)
  flax_model = models.build(config.model, representation.num_outputs, **config.model_options)
  return keras.Sequential([keras.Input(input_shape), *_TWINS[type(flax_model)](flax_model)], name=config.model)


def make_optimizer(config: Config, steps_per_epoch: int) -> keras.Optimizer:
  """The optimizer trainer.make_optimizer makes: Keras' defaults are what that one matches."""
  learning_rate = config.learning_rate
  if config.schedule == 'cosine':
    learning_rate = keras.optimizers.schedules.CosineDecayRestarts(
        learning_rate, config.epochs // config.cycles * steps_per_epoch, t_mul=1.0, m_mul=config.cycle_decay)
  if config.optimizer == 'sgd':
    return keras.optimizers.SGD(learning_rate, momentum=config.momentum)
  optimizers = {'adam': keras.optimizers.Adam, 'nadam': keras.optimizers.Nadam, 'adadelta': keras.optimizers.Adadelta}
  return optimizers[config.optimizer](learning_rate)


def _cross_entropy(classes, logits):
  return keras.ops.sparse_categorical_crossentropy(keras.ops.cast(classes, 'int32'), logits, from_logits=True)


def _unit_circle(fraction):
  angle = representations.TAU * fraction
  return keras.ops.stack([keras.ops.sin(angle), keras.ops.cos(angle)], -1)


def _categorical_loss(representation, labels, outputs):
  del representation
  return _cross_entropy(labels, outputs)


def _classify_loss(representation, labels, outputs):
  return _cross_entropy(keras.ops.floor_divide(dial.dial_minutes(labels), representation.minutes_per_class), outputs)


def _regress_loss(representation, labels, outputs):
  error = keras.ops.softplus(outputs[:, 0]) - dial.dial_minutes(labels) / 60
  if representation.cyclic:
    error = keras.ops.mod(error + 6, 12) - 6
  return error ** 2


def _two_head_loss(representation, labels, outputs):
  hour_loss = _cross_entropy(labels[:, 0], outputs[:, :12])
  if representation.minute == 'regress':
    return hour_loss + (keras.ops.softplus(outputs[:, 12]) - labels[:, 1] / 60) ** 2
  return hour_loss + keras.ops.sum((outputs[:, 12:14] - _unit_circle(labels[:, 1] / 60)) ** 2, -1)


def _periodic_loss(representation, labels, outputs):
  targets = _unit_circle(dial.dial_minutes(labels) / dial.MINUTES_PER_DIAL)
  if representation.hands:
    targets = keras.ops.concatenate([targets, _unit_circle(labels[:, 1] / 60)], -1)
  errors = keras.ops.sum(keras.ops.reshape((outputs - targets) ** 2, (-1, targets.shape[-1] // 2, 2)), -1)
  if representation.distance:
    errors = keras.ops.sqrt(errors + 1e-12)
  return representation.hour_weight * errors[:, 0] + keras.ops.sum(errors[:, 1:], -1)


# The losses of representations.py in keras.ops (dial.dial_minutes is plain arithmetic: it runs on any backend's
# tensors). Keras hands a loss its labels and outputs as float32, even under mixed precision, as the Flax losses
# take the outputs.
_LOSSES = {representations.Categorical: _categorical_loss, representations.ClockClassify: _classify_loss,
           representations.Regress: _regress_loss, representations.TwoHead: _two_head_loss,
           representations.Periodic: _periodic_loss}


def make_loss(config: Config):
  """The per-example loss(labels, outputs) of the representation `config` names."""
  representation = representations.build(config.representation, **config.representation_options)
  return functools.partial(_LOSSES[type(representation)], representation)


def backend_version() -> str:
  backend = keras.backend.backend()
  return f'keras {keras.__version__} on {backend} {importlib.import_module(backend).__version__}'


def train_twin(config: Config) -> dict:
  """Trains the twin as loop.train_and_evaluate trains the Flax model; its epoch times and best epoch's test metrics.

  The same split, batch size, optimizer and epochs, early stopping on `config.monitor` with the best epoch's weights
  restored; an epoch is timed from its start to the start of its validation, as train.py times one. The test
  metrics are the representation's own, computed from the twin's outputs, so they mean what results.json's mean.
  """
  keras.utils.set_random_seed(config.seed)
  splits = datasets.load_splits(config)
  (train_images, train_labels), val, (test_images, test_labels) = [
      (np.asarray(model_input(images)), labels) for images, labels in (splits.train, splits.val, splits.test)]
  model = build_model(config, train_images.shape[1:])
  model.compile(optimizer=make_optimizer(config, len(train_images) // config.batch_size), loss=make_loss(config),
                metrics=['accuracy'] if config.monitor == 'val_accuracy' else None)
  name = f'keras_{keras.backend.backend()}'
  epoch_starts, epoch_seconds = [], []

  def end_of_training(logs):
    del logs
    keras.ops.convert_to_numpy(model.optimizer.iterations)  # JAX dispatches steps ahead: wait for the last one
    epoch_seconds.append(time.perf_counter() - epoch_starts[-1])

  timer = keras.callbacks.LambdaCallback(
      on_epoch_begin=lambda epoch, logs: epoch_starts.append(time.perf_counter()),
      on_test_begin=end_of_training,
      on_epoch_end=lambda epoch, logs: print(
          f'{name} epoch {epoch + 1}/{config.epochs}  train_loss {logs["loss"]:.4g}  val_loss {logs["val_loss"]:.4g}'
          f'  ({epoch_seconds[-1]:.1f} s)', flush=True))
  stopping = keras.callbacks.EarlyStopping(config.monitor, patience=config.patience or config.epochs,
                                           restore_best_weights=True)
  model.fit(train_images, train_labels, batch_size=config.batch_size, epochs=config.epochs, validation_data=val,
            validation_batch_size=EVAL_BATCH_SIZE, callbacks=[timer, stopping], verbose=0)
  outputs = model.predict(test_images, batch_size=EVAL_BATCH_SIZE, verbose=0).astype(np.float32)
  representation = representations.build(config.representation, **config.representation_options)
  per_example = {'loss': representation.loss(outputs, test_labels), **representation.metrics(outputs, test_labels)}
  return {'version': backend_version(), 'num_params': model.count_params(), 'epoch_seconds': epoch_seconds,
          'examples_per_epoch': len(train_images), 'epochs': len(epoch_seconds), 'best_epoch': stopping.best_epoch + 1,
          **results.summarize({key: np.asarray(value) for key, value in per_example.items()},
                             representations.statistics(representation), 'test_')}


def main(argv: list[str]) -> None:
  config_json, result_path = argv[1:]
  files.write_json(result_path, train_twin(Config(**json.loads(config_json))))


if __name__ == '__main__':
  main(sys.argv)
