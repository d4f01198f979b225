"""Row-wise norms shared by the scorers."""

import tensorflow as tf


def row_norm(v, degree: int):
    """The L1 (``degree=1``) or L2 norm of each row of ``v``, any trailing shape."""
    v = tf.reshape(v, [tf.shape(v)[0], -1])
    if degree == 1:
        return tf.reduce_sum(tf.abs(v), axis=1)
    return tf.sqrt(tf.reduce_sum(tf.square(v), axis=1))
