"""What every train step does the same way, whatever the GAN.

- :func:`latent` draws z ~ N(0, I) for this replica's rows of the global batch
  (:func:`tfgan_ad.networks.layers.replica_rows`), so a run on R replicas sees
  the same latent samples as a run on one device with the same global batch.
- :func:`gradients` differentiates a replica's local mean loss so that the
  optimizer's sum over replicas (Keras all-reduces gradients with SUM) is the
  gradient of the global mean, and applies the optimizer's loss scale
  (``mixed_float16``: :class:`keras.optimizers.LossScaleOptimizer`; 1 otherwise).
"""

from __future__ import annotations

import contextlib

import tensorflow as tf

from tfgan_ad.networks.layers import replica_rows


def num_replicas() -> int:
    """Replicas in sync in the current context (1 outside a strategy)."""
    ctx = tf.distribute.get_replica_context()
    if ctx is None:  # cross-replica context
        return tf.distribute.get_strategy().num_replicas_in_sync
    return ctx.num_replicas_in_sync


def latent(n, dim: int, seed):
    """[n, dim] standard normal rows: this replica's share of the global batch's sample."""
    return replica_rows(lambda shape: tf.random.stateless_normal(shape, seed=seed), [n, dim])


def gradients(tape, optimizer, loss, variables):
    """Gradients of ``loss`` (a local mean) for ``optimizer.apply_gradients``.

    The factor 1/R (R replicas) and the optimizer's loss scale enter as the
    output gradient, so the tape needs no extra recorded op; a
    LossScaleOptimizer divides the scale out again when it applies them.
    """
    factor = optimizer.scale_loss(tf.constant(1.0 / num_replicas(), tf.float32))
    return tape.gradient(loss, variables, output_gradients=tf.cast(factor, loss.dtype))


def minimize(tape, optimizer, loss, variables):
    """One optimizer update of ``variables`` on ``loss`` (see :func:`gradients`)."""
    optimizer.apply_gradients(zip(gradients(tape, optimizer, loss, variables), variables))


def moving_statistics(*networks) -> list:
    """The BatchNorm moving means and variances of ``networks`` (Keras layers)."""
    return [v for net in networks for v in net.non_trainable_variables
            if v.path.rsplit("/", 1)[-1] in ("moving_mean", "moving_variance")]


@contextlib.contextmanager
def statistics_kept(networks, keep: bool):
    """With ``keep``, the BatchNorm moving statistics of ``networks`` are put back on
    leaving the block as they were on entering it: their training-mode passes inside
    (batch statistics) leave no trace. Used inside a traced train step (read before the
    block's ops, assigned after them: the order of the variables' own ops)."""
    variables = moving_statistics(*networks) if keep else []
    saved = [tf.identity(v.value) for v in variables]
    yield
    for v, value in zip(variables, saved):
        v.assign(value)
