"""The batch source of a run's training steps: what makes each step's (images, labels) inside the jitted step.

A source makes them from the arrays it put on the devices and the step's key: `Stored` gathers them from the
training split, `FreshClocks` renders new synthetic clocks instead, and `augment.Augmented` changes another
source's pictures. The training loop sees only this interface, so a new kind of data is a new source.
"""
import dataclasses
import functools
from typing import Protocol

import jax
import jax.numpy as jnp

from timeread_jax import augment
from timeread_jax import render
from timeread_jax import representations
from timeread_jax import synthetic
from timeread_jax.config import Config


class BatchSource(Protocol):

  def device_data(self, train_split: tuple):
    """What of the training split the source needs on the devices (passed back to `batch` at every step)."""

  def batch(self, data, indices: jax.Array, key: jax.Array, step: jax.Array) -> tuple[jax.Array, jax.Array]:
    """One step's (images, labels) for the examples at `indices` (the batch's positions in the training split),
    with `key` for its randomness, at optimizer step `step`; traced inside the jitted step, with the batch split
    along `data`."""


@dataclasses.dataclass(frozen=True)
class Stored:
  """The stored training split, gathered at each step's indices."""

  def device_data(self, train_split: tuple):
    return train_split

  def batch(self, data, indices, key, step):
    del key, step
    images, labels = data
    return images[indices], labels[indices]


@dataclasses.dataclass(frozen=True)
class FreshClocks:
  """A new batch of synthetic clocks at every step: infinite data. Only the batch's size is taken from `indices`.

  With `turn_warmup_steps`, the clocks' in-plane turn grows from none to any over those first steps. A new reader
  on clocks turned every way sits at chance for many epochs: a hand's direction in the picture says nothing of the
  time until the reader finds 12 by the numerals, and the numerals mean nothing until it reads the hands. Nearly
  upright clocks first let it learn the hands, then find 12 as the turn grows.
  With `no_clock`, that share of the batch shows no clock at all (`render.render_no_clock`), labelled
  representations.NO_CLOCK: what a reader learns to tell from a clock; with `other_clocks` as well, that share
  shows clocks of other designs than the Leiden clock, labelled the same: a Leiden reader that knows its own clock.
  """
  image_size: int
  styles: str = 'all'
  designs: str = 'leiden'
  turn_warmup_steps: int = 0
  no_clock: float = 0.0
  other_clocks: float = 0.0

  def device_data(self, train_split: tuple):
    del train_split
    return None

  def batch(self, data, indices, key, step):
    del data
    label_key, render_key = jax.random.split(key)
    num_empty, num_other = (round(share * indices.shape[0]) for share in (self.no_clock, self.other_clocks))
    labels = render.random_labels(label_key, indices.shape[0] - num_empty - num_other)
    images = render.render_clocks(render_key, labels, self.image_size, styles=self.styles, designs=self.designs,
                                  turn=self.turn(step))
    negatives = []
    if num_empty:
      negatives.append(render.render_no_clock(jax.random.fold_in(key, 1), num_empty, self.image_size,
                                              designs=self.designs))
    if num_other:
      other_labels = render.random_labels(jax.random.fold_in(key, 3), num_other)
      negatives.append(render.render_clocks(jax.random.fold_in(key, 2), other_labels, self.image_size,
                                            designs='others', turn=self.turn(step)))
    if not negatives:
      return images, labels
    no_clock = jnp.tile(jnp.array(representations.NO_CLOCK, labels.dtype), (num_empty + num_other, 1))
    return jnp.concatenate([images, *negatives]), jnp.concatenate([labels, no_clock])

  def turn(self, step):
    """How far the clocks of `step` may turn, as `looks.draw` takes it (1 after the warm-up; None without one)."""
    if not self.turn_warmup_steps:
      return None
    return jnp.minimum(1.0, (step + 1) / self.turn_warmup_steps)


def batch_source(config: Config, steps_per_epoch: int) -> BatchSource:
  """The source `config` describes, wrapped in its augmentations."""
  if config.fresh_data:
    source = FreshClocks(config.image_size, **synthetic.drawn(config.designs, config.held_out_styles, 'train'),
                         turn_warmup_steps=config.turn_warmup_epochs * steps_per_epoch, no_clock=config.no_clock,
                         other_clocks=config.other_clocks)
  else:
    source = Stored()
  if config.augment:
    source = augment.Augmented(source, augment.flip_and_shift)
  if config.via_75px:
    source = augment.Augmented(source, functools.partial(augment.some_through_75px, probability=config.via_75px))
  if config.erase:
    source = augment.Augmented(source, functools.partial(augment.erase_rectangles, probability=config.erase))
  return source
