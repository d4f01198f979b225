"""GAN losses as pure functions of logits (golden values in tests/test_networks_losses.py).

All take raw logits (no sigmoid applied) and return a scalar mean over the batch.
The BiGAN names are the same functions applied to (x, z) pairs: D calls the
encoder pair (x, E(x)) real and the generator pair (G(z), z) fake.
"""

from __future__ import annotations

import tensorflow as tf


def _bce(logits, label: float):
    logits = tf.cast(logits, tf.float32)
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
        labels=tf.fill(tf.shape(logits), label), logits=logits))


def discriminator_loss(logits_real, logits_fake):
    """D calls real inputs 1 and generated ones 0: BCE(real, 1) + BCE(fake, 0)."""
    return _bce(logits_real, 1.0) + _bce(logits_fake, 0.0)


def generator_loss(logits_fake):
    """Non-saturating G loss: G wants its samples called real, BCE(fake, 1)."""
    return _bce(logits_fake, 1.0)


def bigan_discriminator_loss(logits_encoder_pair, logits_generator_pair):
    """D calls (x, E(x)) real and (G(z), z) fake."""
    return discriminator_loss(logits_encoder_pair, logits_generator_pair)


def bigan_generator_loss(logits_generator_pair):
    """G wants (G(z), z) called real."""
    return generator_loss(logits_generator_pair)


def bigan_encoder_loss(logits_encoder_pair):
    """E wants (x, E(x)) called fake, i.e. flipped labels as in the EGBAD code: BCE(·, 0)."""
    return _bce(logits_encoder_pair, 0.0)
