"""Exponential moving average (EMA) of weights, with an in-place swap.

A shadow copy ``s`` of every tracked variable ``w`` follows
``s ← decay · s + (1 − decay) · w`` after every training step, starting from the
initial weights (as ``tf.train.ExponentialMovingAverage`` without
``num_updates``, which the EGBAD code used). With ``warmup=True`` the decay of
update ``n`` (counted from 0) is ``min(decay, (1 + n) / (10 + n))``, as that
class does when given ``num_updates``: after ``n`` steps a plain EMA still
holds ``decay**n`` of the random initial weights (0.999**432 ≈ 65% after 3
MNIST epochs), so short runs need it; long runs barely notice it. Scoring and export use the
shadows: :meth:`EMA.averaged` swaps them into the live variables for the
duration of a ``with`` block and swaps back afterwards, so no second copy of a
network is built.

Only *trainable* variables are averaged. Non-trainable state (BatchNorm moving
statistics, the spectral-norm power-iteration vector) is already a running
estimate and is used as it is.
"""

from __future__ import annotations

import contextlib

import tensorflow as tf


class EMA(tf.Module):
    """Shadow weights for ``variables``.

    Args:
        variables: the variables to average (typically the trainable weights of
            every network of a GAN).
        decay: the EMA decay, e.g. 0.9999 for KDD99, 0.999 for MNIST (EGBAD §A).
    """

    def __init__(self, variables, decay: float, name: str = "ema", warmup: bool = False):
        super().__init__(name=name)
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"EMA decay must be in [0, 1), got {decay}")
        self.decay = float(decay)
        self.warmup = bool(warmup)
        self._live = list(variables)
        with tf.init_scope():
            # under a distribution strategy every replica computes the same update
            # from the same (synchronised) weights: the first replica's value is kept
            once = tf.VariableAggregation.ONLY_FIRST_REPLICA
            self.shadows = [
                tf.Variable(tf.convert_to_tensor(v), trainable=False,
                            name=f"shadow_{i}", aggregation=once)
                for i, v in enumerate(self._live)
            ]
            if self.warmup:  # only then: older checkpoints have no counter
                self.updates = tf.Variable(0, dtype=tf.int64, trainable=False, name="updates",
                                           aggregation=once)
        self._swapped = False

    def update(self):
        """One EMA step; call inside the train step after the optimizers."""
        d = tf.constant(self.decay, tf.float32)
        if self.warmup:
            n = tf.cast(self.updates, tf.float32)
            d = tf.minimum(d, (1.0 + n) / (10.0 + n))
            self.updates.assign_add(1)
        for s, v in zip(self.shadows, self._live):
            s.assign(d * s + (1.0 - d) * tf.cast(tf.convert_to_tensor(v), s.dtype))

    def swap(self):
        """Exchange live and shadow values (calling it twice restores both)."""
        for s, v in zip(self.shadows, self._live):
            tmp = tf.identity(tf.convert_to_tensor(v))
            v.assign(tf.cast(s, v.dtype))
            s.assign(tf.cast(tmp, s.dtype))
        self._swapped = not self._swapped

    @contextlib.contextmanager
    def averaged(self):
        """``with ema.averaged():`` the live variables hold the EMA weights."""
        if self._swapped:  # nested use: already averaged
            yield
            return
        self.swap()
        try:
            yield
        finally:
            self.swap()
