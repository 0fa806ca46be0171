"""What a run trains and evaluates on: its splits as host arrays, and the batch source of its training steps.

A batch source makes one step's (images, labels) inside the jitted step from the arrays it put on the devices and
the step's key: `Stored` gathers them from the training split (optionally augmented), `FreshClocks` renders new
synthetic clocks instead, and `Augmented` changes another source's pictures (erasing a rectangle, or showing them
as 75 px photos of them). The training loop sees only this interface, so a new kind of data is a new source.
"""
import dataclasses
import functools
from typing import Callable, Protocol

import jax
import jax.numpy as jnp

from timeread_jax import clocks
from timeread_jax import datasets
from timeread_jax import render
from timeread_jax.config import Config
from timeread_jax.errors import ConfigError


class BatchSource(Protocol):

  def device_data(self, train_split: tuple):
    """What of the training split the source needs on the devices (passed back to `batch` at every step)."""

  def batch(self, data, indices: jax.Array, key: jax.Array, step: jax.Array) -> tuple[jax.Array, jax.Array]:
    """One step's (images, labels) for the examples at `indices` (the batch's positions in the training split),
    with `key` for its randomness, at optimizer step `step`; traced inside the jitted step, with the batch split
    along `data`."""


@dataclasses.dataclass(frozen=True)
class Stored:
  """The stored training split, gathered at each step's indices, with Task 1's flips and shifts if `augment`."""
  augment: bool = False

  def device_data(self, train_split: tuple):
    return train_split

  def batch(self, data, indices, key, step):
    del step
    images, labels = data
    images, labels = images[indices], labels[indices]
    if self.augment:
      images = datasets.flip_and_shift(key, images)
    return images, labels


@dataclasses.dataclass(frozen=True)
class FreshClocks:
  """A new batch of synthetic clocks at every step: infinite data. Only the batch's size is taken from `indices`.

  With `turn_warmup_steps`, the clocks' in-plane turn grows from none to any over those first steps. A new reader
  on clocks turned every way sits at chance for many epochs: a hand's direction in the picture says nothing of the
  time until the reader finds 12 by the numerals, and the numerals mean nothing until it reads the hands. Nearly
  upright clocks first let it learn the hands, then find 12 as the turn grows.
  """
  image_size: int
  styles: str = 'all'
  turn_warmup_steps: int = 0

  def device_data(self, train_split: tuple):
    del train_split
    return None

  def batch(self, data, indices, key, step):
    del data
    label_key, render_key = jax.random.split(key)
    labels = render.random_labels(label_key, indices.shape[0])
    return render.render_clocks(render_key, labels, self.image_size, styles=self.styles,
                                turn=self.turn(step)), labels

  def turn(self, step):
    """How far the clocks of `step` may turn, as `looks.draw` takes it (1 after the warm-up; None without one)."""
    if not self.turn_warmup_steps:
      return None
    return jnp.minimum(1.0, (step + 1) / self.turn_warmup_steps)


@dataclasses.dataclass(frozen=True)
class Augmented:
  """`source`'s batches with `augment(key, images)` applied to their pictures, e.g. `datasets.erase_rectangles`."""
  source: BatchSource
  augment: Callable[[jax.Array, jax.Array], jax.Array]

  def device_data(self, train_split: tuple):
    return self.source.device_data(train_split)

  def batch(self, data, indices, key, step):
    source_key, augment_key = jax.random.split(key)
    images, labels = self.source.batch(data, indices, source_key, step)
    return self.augment(augment_key, images), labels


def batch_source(config: Config, steps_per_epoch: int) -> BatchSource:
  if config.fresh_data:
    source = FreshClocks(config.image_size, 'seen' if config.held_out_styles else 'all',
                         turn_warmup_steps=config.turn_warmup_epochs * steps_per_epoch)
  else:
    source = Stored(augment=config.augment)
  if config.via_75px:
    source = Augmented(source, functools.partial(clocks.some_through_75px, probability=config.via_75px))
  if config.erase:
    source = Augmented(source, functools.partial(datasets.erase_rectangles, probability=config.erase))
  return source


def load_splits(config: Config) -> datasets.Splits:
  """The run's train, validation and test splits as host arrays."""
  if config.data == 'clocks':
    return clocks.load_splits(config.data_dir, num_examples=config.num_examples, seed=config.seed,
                              image_size=config.image_size, val_size=config.val_size,
                              held_out_styles=config.held_out_styles)
  loaders = {'fashion_mnist': datasets.load_fashion_mnist, 'cifar10': datasets.load_cifar10}
  if config.data not in loaders:
    raise ConfigError(f'unknown data {config.data!r}: use clocks, fashion_mnist or cifar10')
  val_size = {'val_size': config.val_size} if config.val_size else {}
  splits = loaders[config.data](config.data_dir or None, seed=config.seed, **val_size)
  if config.num_examples:
    splits = datasets.Splits(*[(images[:config.num_examples], labels[:config.num_examples])
                               for images, labels in (splits.train, splits.val, splits.test)])
  return datasets.standardize(splits) if config.standardize else splits
