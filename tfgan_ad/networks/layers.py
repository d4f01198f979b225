"""Small building blocks shared by the paper networks."""

from __future__ import annotations

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="tfgan_ad")
class SeededDropout(keras.layers.Layer):
    """Dropout whose mask is a pure function of an explicit ``seed`` tensor.

    Training randomness then depends only on (run seed, step), never on hidden
    generator state, so a run resumed from a checkpoint repeats exactly the
    masks an uninterrupted run would draw. With ``training=False`` it is the
    identity, so scoring is deterministic and batch independent.
    """

    def __init__(self, rate: float, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"dropout rate must be in [0, 1), got {rate}")
        self.rate = float(rate)

    def call(self, x, training=False, seed=None):
        if not training or self.rate == 0.0:
            return x
        if seed is None:
            raise ValueError("SeededDropout needs a seed when training=True")
        keep = tf.random.stateless_uniform(tf.shape(x), seed=seed, dtype=x.dtype) >= self.rate
        return tf.where(keep, x / (1.0 - self.rate), tf.zeros_like(x))

    def get_config(self):
        return {**super().get_config(), "rate": self.rate}


def dense(units: int, name: str, spectral_norm: bool = False) -> keras.layers.Layer:
    """Dense with the papers' init (Xavier/Glorot-uniform kernel, zero bias)."""
    layer = keras.layers.Dense(units, kernel_initializer="glorot_uniform",
                               bias_initializer="zeros", name=name)
    if spectral_norm:
        layer = keras.layers.SpectralNormalization(layer, name=f"{name}_sn")
    return layer


def sub_seed(seed, k: int):
    """A distinct stateless seed for the k-th random op of a step (None stays None)."""
    if seed is None:
        return None
    return tf.random.experimental.stateless_fold_in(seed, k)
