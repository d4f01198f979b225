"""Compiling a latent search, with or without XLA, from the same starting codes."""

from __future__ import annotations

import tensorflow as tf


def compile_search(search, starts, jit_compile: bool = False):
    """A ``tf.function`` x → ``search(x, starts(x))``, traced once per shape.

    ``search(x, z0)`` runs a latent search from the starting codes ``z0``;
    ``starts(x)`` draws them with stateless ops. With ``jit_compile`` only the
    search is compiled by XLA: the starts are drawn outside it, because XLA's
    stateless generators (Philox included) give other numbers than TensorFlow's
    kernels, and the scores would then depend on the setting.
    """
    if not jit_compile:
        return tf.function(lambda x: search(x, starts(x)), reduce_retracing=True)
    inner = tf.function(search, jit_compile=True)
    return tf.function(lambda x: inner(x, starts(x)), reduce_retracing=True)
