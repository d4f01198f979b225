"""The plain ADGAN search, one test point and one seed at a time: the oracle.

Everything :func:`tfgan_ad.scoring.adgan.adgan_search` vectorises is a Python
loop here: a Keras copy of the generator (its ``call`` on its own variables,
i.e. ``tf.nn.conv2d_transpose``, not the per-path convolution), reset to the
trained weights before every search, and Keras's own Adam on z and θ with
``tf.GradientTape``, eagerly. Used by tests/test_adgan.py and by
benchmarks/adgan_speed.py (which puts tests/ on ``sys.path``).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from tfgan_ad.scoring.adgan import ADGANSearchConfig, initial_latents


class OracleSearch:
    """``OracleSearch(generator, config)(x)`` → final losses [N, S] and scores [N]."""

    def __init__(self, generator, config: ADGANSearchConfig):
        self.generator, self.config = generator, config
        self.copy = generator.__class__.from_config(generator.get_config())
        self.z0 = initial_latents(generator.latent_dim, config).numpy()

    def _adam(self, lr):
        c = self.config
        return keras.optimizers.Adam(lr, beta_1=c.beta_1, beta_2=c.beta_2, epsilon=c.epsilon)

    def _search(self, x, z_start):
        """One search from the trained weights; ``z_start`` [R, L]; returns the final losses [R]."""
        for v, w in zip(self.copy.weights, self.generator.weights):
            v.assign(w)  # θ reset to the trained values
        z = keras.Variable(z_start, name="z")
        theta = self.copy.trainable_variables
        opt_z, opt_t = self._adam(self.config.learning_rate), self._adam(self.config.lr_theta)

        def losses():
            return tf.reduce_sum(tf.square(x[None] - self.copy(z, training=False)), axis=[1, 2, 3])

        for _ in range(self.config.steps):
            with tf.GradientTape() as tape:
                total = tf.reduce_sum(losses())
            g_z, *g_t = tape.gradient(total, [z] + theta)
            opt_z.apply_gradients([(g_z, z)])
            opt_t.apply_gradients(zip(g_t, theta))
        return losses().numpy()

    def __call__(self, x) -> dict:
        x = tf.convert_to_tensor(np.asarray(x, np.float32))
        rows = []
        for i in range(len(x)):
            if self.config.share_theta:  # one θ for the point's seeds
                rows.append(self._search(x[i], self.z0))
            else:  # one (z_j, θ_j) path per seed
                rows.append(np.concatenate([self._search(x[i], self.z0[j:j + 1])
                                            for j in range(len(self.z0))]))
        losses = np.stack(rows)
        return {"score": losses.mean(axis=1), "losses": losses}
