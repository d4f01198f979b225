"""GAN losses as pure functions of logits (golden values in tests/test_losses.py).

All take raw logits (no sigmoid applied) and return a scalar mean over the batch.
"""

from __future__ import annotations

import tensorflow as tf


def _bce(logits, label: float):
    logits = tf.cast(logits, tf.float32)
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
        labels=tf.fill(tf.shape(logits), label), logits=logits))


def bigan_discriminator_loss(logits_encoder_pair, logits_generator_pair):
    """D calls (x, E(x)) real and (G(z), z) fake: BCE(·, 1) + BCE(·, 0)."""
    return _bce(logits_encoder_pair, 1.0) + _bce(logits_generator_pair, 0.0)


def bigan_generator_loss(logits_generator_pair):
    """G wants (G(z), z) called real (non-saturating): BCE(·, 1)."""
    return _bce(logits_generator_pair, 1.0)


def bigan_encoder_loss(logits_encoder_pair):
    """E wants (x, E(x)) called fake, i.e. flipped labels as in the EGBAD code: BCE(·, 0)."""
    return _bce(logits_encoder_pair, 0.0)
