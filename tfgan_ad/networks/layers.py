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
        u = replica_rows(lambda shape: tf.random.stateless_uniform(shape, seed=seed),
                         tf.shape(x))
        keep = u >= self.rate
        return tf.where(keep, x / (1.0 - self.rate), tf.zeros_like(x))

    def get_config(self):
        return {**super().get_config(), "rate": self.rate}


#: dtype of every network's last (logit / critic) layer, whatever the mixed-precision
#: policy: logits stay float32
LOGIT_DTYPE = "float32"


def dense(units: int, name: str, spectral_norm: bool = False,
          dtype=None) -> keras.layers.Layer:
    """Dense with the papers' init (Xavier/Glorot-uniform kernel, zero bias);
    ``dtype`` overrides the global dtype policy (:data:`LOGIT_DTYPE` for logits)."""
    layer = keras.layers.Dense(units, kernel_initializer="glorot_uniform",
                               bias_initializer="zeros", name=name, dtype=dtype)
    if spectral_norm:
        layer = keras.layers.SpectralNormalization(layer, name=f"{name}_sn", dtype=dtype)
    return layer


def sub_seed(seed, k: int):
    """A distinct stateless seed for the k-th random op of a step (None stays None)."""
    if seed is None:
        return None
    return tf.random.experimental.stateless_fold_in(seed, k)


def replica_rows(sample, shape):
    """``sample(shape)`` for this replica's rows of the global batch.

    Under a ``tf.distribute`` strategy with R replicas in sync, each replica holds
    ``shape[0]`` rows of a global batch of ``R · shape[0]``. A stateless random
    tensor drawn for the global batch and sliced to the replica's rows makes a
    run on R replicas draw the same latent samples and dropout masks, row for
    row, as a run on one device with the same global batch. Outside a strategy
    (or with one replica) it is just ``sample(shape)``.

    Args:
        sample: shape → tensor, a stateless random op with a fixed seed.
        shape: the local shape (int32 tensor or list), rows first.
    """
    ctx = tf.distribute.get_replica_context()
    replicas = ctx.num_replicas_in_sync if ctx is not None else 1
    if replicas == 1:
        return sample(shape)
    shape = tf.convert_to_tensor(shape, tf.int32)
    n = shape[0]
    full = sample(tf.concat([[n * replicas], shape[1:]], axis=0))
    start = tf.cast(ctx.replica_id_in_sync_group, tf.int32) * n
    return full[start:start + n]
