"""KDD99 networks, EGBAD appendix D.

Table 6 (BiGAN) is the single source of these defaults:

===========  ===================================================  =======
network      layers                                               dropout
===========  ===================================================  =======
E(x)         Dense 64 LeakyReLU → Dense 32 linear                 0
G(z)         Dense 64 ReLU → Dense 128 ReLU → Dense 121 linear    0
D(x, z)      x: Dense 128 LReLU; z: Dense 128 LReLU; concat →     0.2
             Dense* 128 LReLU → Dense 1 (logit)
===========  ===================================================  =======

Leaky-ReLU slope 0.1, Xavier kernels, zero biases; ``*`` marks the feature
layer returned for the feature-matching (FM) score. Table 5 (the plain GAN of
AnoGAN) uses the same generator and :class:`GANDiscriminator`, D(x):
Dense 256 → Dense 128 → Dense* 128 (LeakyReLU, dropout 0.2 each) → Dense 1.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from tfgan_ad.networks.layers import LOGIT_DTYPE, SeededDropout, dense, sub_seed

LEAKY_SLOPE = 0.1


def _lrelu(x):
    return keras.activations.leaky_relu(x, negative_slope=LEAKY_SLOPE)


def _check_width(x, width: int, what: str):
    if x.shape.rank != 2 or (x.shape[-1] is not None and x.shape[-1] != width):
        raise ValueError(f"{what} must have shape (batch, {width}), got {tuple(x.shape)}")


@keras.saving.register_keras_serializable(package="tfgan_ad.kdd")
class Encoder(keras.Model):
    """E(x): 121 features → latent code (EGBAD Table 6)."""

    def __init__(self, n_features=121, latent_dim=32, hidden=64, **kwargs):
        super().__init__(**kwargs)
        self.n_features, self.latent_dim, self.hidden = n_features, latent_dim, hidden
        self.fc1 = dense(hidden, "fc1")
        self.fc2 = dense(latent_dim, "fc2")
        self.build((None, n_features))

    def build(self, input_shape):
        self.fc1.build(input_shape)
        self.fc2.build((None, self.hidden))
        self.built = True

    def call(self, x, training=False):
        _check_width(x, self.n_features, "encoder input x")
        return self.fc2(_lrelu(self.fc1(x)))

    def get_config(self):
        return {**super().get_config(), "n_features": self.n_features,
                "latent_dim": self.latent_dim, "hidden": self.hidden}


@keras.saving.register_keras_serializable(package="tfgan_ad.kdd")
class Generator(keras.Model):
    """G(z): latent code → 121 features (EGBAD Tables 5 and 6)."""

    def __init__(self, n_features=121, latent_dim=32, hidden=(64, 128), **kwargs):
        super().__init__(**kwargs)
        self.n_features, self.latent_dim, self.hidden = n_features, latent_dim, tuple(hidden)
        self.fc = [dense(u, f"fc{i + 1}") for i, u in enumerate(self.hidden)]
        self.out = dense(n_features, "fc_out")
        self.build((None, latent_dim))

    def build(self, input_shape):
        width = input_shape[-1]
        for layer in self.fc:
            layer.build((None, width))
            width = layer.units
        self.out.build((None, width))
        self.built = True

    def call(self, z, training=False):
        _check_width(z, self.latent_dim, "generator input z")
        h = z
        for layer in self.fc:
            h = tf.nn.relu(layer(h))
        return self.out(h)

    def get_config(self):
        return {**super().get_config(), "n_features": self.n_features,
                "latent_dim": self.latent_dim, "hidden": list(self.hidden)}


@keras.saving.register_keras_serializable(package="tfgan_ad.kdd")
class Discriminator(keras.Model):
    """D(x, z) of the BiGAN (EGBAD Table 6); returns ``(logits, features)``.

    ``features`` is the starred layer (the one before the logits), used by the
    FM score. ``spectral_norm=True`` wraps every Dense in spectral
    normalization (an option for the stable recipe, not in the paper).
    """

    def __init__(self, n_features=121, latent_dim=32, units=128, dropout=0.2,
                 spectral_norm=False, **kwargs):
        super().__init__(**kwargs)
        self.n_features, self.latent_dim, self.units = n_features, latent_dim, units
        self.dropout, self.spectral_norm = dropout, spectral_norm
        self.fc_x = dense(units, "fc_x", spectral_norm)
        self.fc_z = dense(units, "fc_z", spectral_norm)
        self.fc_xz = dense(units, "fc_xz", spectral_norm)
        self.logit = dense(1, "fc_logit", spectral_norm, dtype=LOGIT_DTYPE)
        self.drop = [SeededDropout(dropout, name=f"dropout_{k}") for k in ("x", "z", "xz")]
        self.build(((None, n_features), (None, latent_dim)))

    def build(self, input_shape):
        self.fc_x.build((None, self.n_features))
        self.fc_z.build((None, self.latent_dim))
        self.fc_xz.build((None, 2 * self.units))
        self.logit.build((None, self.units))
        self.built = True

    def call(self, inputs, training=False, seed=None):
        x, z = inputs
        _check_width(x, self.n_features, "discriminator input x")
        _check_width(z, self.latent_dim, "discriminator input z")
        hx = self.drop[0](_lrelu(self.fc_x(x, training=training)), training=training, seed=sub_seed(seed, 0))
        hz = self.drop[1](_lrelu(self.fc_z(z, training=training)), training=training, seed=sub_seed(seed, 1))
        h = tf.concat([hx, hz], axis=1)
        features = self.drop[2](_lrelu(self.fc_xz(h, training=training)), training=training,
                                seed=sub_seed(seed, 2))
        return self.logit(features, training=training), features

    def get_config(self):
        return {**super().get_config(), "n_features": self.n_features,
                "latent_dim": self.latent_dim, "units": self.units, "dropout": self.dropout,
                "spectral_norm": self.spectral_norm}


@keras.saving.register_keras_serializable(package="tfgan_ad.kdd")
class GANDiscriminator(keras.Model):
    """D(x) of the plain GAN behind AnoGAN (EGBAD Table 5); returns ``(logits, features)``."""

    def __init__(self, n_features=121, units=(256, 128, 128), dropout=0.2, **kwargs):
        super().__init__(**kwargs)
        self.n_features, self.units, self.dropout = n_features, tuple(units), dropout
        self.fc = [dense(u, f"fc{i + 1}") for i, u in enumerate(self.units)]
        self.drop = [SeededDropout(dropout, name=f"dropout_{i + 1}")
                     for i in range(len(self.units))]
        self.logit = dense(1, "fc_logit", dtype=LOGIT_DTYPE)
        self.build((None, n_features))

    def build(self, input_shape):
        width = self.n_features
        for layer in self.fc:
            layer.build((None, width))
            width = layer.units
        self.logit.build((None, width))
        self.built = True

    def call(self, x, training=False, seed=None):
        _check_width(x, self.n_features, "discriminator input x")
        h = x
        for i, (layer, drop) in enumerate(zip(self.fc, self.drop)):
            h = drop(_lrelu(layer(h)), training=training, seed=sub_seed(seed, i))
        return self.logit(h), h

    def get_config(self):
        return {**super().get_config(), "n_features": self.n_features,
                "units": list(self.units), "dropout": self.dropout}
