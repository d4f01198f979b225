"""MNIST networks, EGBAD appendix C (Table 3: GAN, Table 4: BiGAN).

Table 4 is the source of these defaults (leaky-ReLU slope 0.1, kernels
N(0, 0.02), zero biases; ``*`` = FM feature layer):

======  ===================================================================
E(x)    Conv 3×3/1 32 linear → Conv 3×3/2 64 BN LReLU → Conv 3×3/2 128 BN
        LReLU → Dense 200 linear
G(z)    Dense 1024 BN ReLU → Dense 7·7·128 BN ReLU → ConvT 4×4/2 64 BN ReLU
        → ConvT 4×4/2 1 tanh
D(x,z)  x: Conv 4×4/2 64 LReLU → Conv 4×4/2 64 BN LReLU; z: Dense 512 LReLU;
        concat → Dense* 1024 LReLU → Dense 1 (dropout 0.5 after each hidden
        layer, as in the reference code)
======  ===================================================================

Table 3's D(x) (the GAN of AnoGAN): Conv 4×4/2 64 LReLU → Conv 4×4/2 64 BN
LReLU → Dense* 1024 BN LReLU → Dense 1.

BatchNorm: ``training=True`` normalises with batch statistics and updates the
moving averages; scoring always calls ``training=False``, so scores use the
moving statistics and do not depend on the batch (and never change them). The
weight EMA covers BN's γ and β (trainable) but not the moving statistics,
which are running averages of their own (momentum 0.99, as the reference).
"""

from __future__ import annotations

import keras
import tensorflow as tf

from tfgan_ad.networks.layers import LOGIT_DTYPE, SeededDropout, sub_seed

LEAKY_SLOPE = 0.1
IMAGE_SHAPE = (28, 28, 1)


def _init():
    return keras.initializers.RandomNormal(0.0, 0.02)


def _conv(filters, kernel, strides, name, transpose=False):
    cls = keras.layers.Conv2DTranspose if transpose else keras.layers.Conv2D
    return cls(filters, kernel, strides=strides, padding="same", kernel_initializer=_init(),
               bias_initializer="zeros", name=name)


def _dense(units, name, dtype=None):
    return keras.layers.Dense(units, kernel_initializer=_init(), bias_initializer="zeros",
                              name=name, dtype=dtype)


def _bn(name):
    return keras.layers.BatchNormalization(momentum=0.99, epsilon=1e-3, name=name)


def _lrelu(x):
    return keras.activations.leaky_relu(x, negative_slope=LEAKY_SLOPE)


def _check_images(x, what):
    if x.shape.rank != 4 or tuple(x.shape[1:]) != IMAGE_SHAPE:
        raise ValueError(f"{what} must have shape (batch, 28, 28, 1), got {tuple(x.shape)}")


@keras.saving.register_keras_serializable(package="tfgan_ad.mnist")
class Encoder(keras.Model):
    """E(x): 28×28×1 image → latent code (EGBAD Table 4)."""

    def __init__(self, latent_dim=200, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = latent_dim
        self.n_features = 28 * 28
        self.conv1 = _conv(32, 3, 1, "conv1")
        self.conv2, self.bn2 = _conv(64, 3, 2, "conv2"), _bn("bn2")
        self.conv3, self.bn3 = _conv(128, 3, 2, "conv3"), _bn("bn3")
        self.fc = _dense(latent_dim, "fc")
        self(tf.zeros((1, *IMAGE_SHAPE)))

    def call(self, x, training=False):
        _check_images(x, "encoder input x")
        h = self.conv1(x)
        h = _lrelu(self.bn2(self.conv2(h), training=training))
        h = _lrelu(self.bn3(self.conv3(h), training=training))
        return self.fc(tf.reshape(h, [tf.shape(h)[0], 7 * 7 * 128]))

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim}


@keras.saving.register_keras_serializable(package="tfgan_ad.mnist")
class Generator(keras.Model):
    """G(z): latent code → 28×28×1 image in [-1, 1] (EGBAD Tables 3 and 4)."""

    def __init__(self, latent_dim=200, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = latent_dim
        self.fc1, self.bn1 = _dense(1024, "fc1"), _bn("bn1")
        self.fc2, self.bn2 = _dense(7 * 7 * 128, "fc2"), _bn("bn2")
        self.deconv3, self.bn3 = _conv(64, 4, 2, "deconv3", transpose=True), _bn("bn3")
        self.deconv4 = _conv(1, 4, 2, "deconv4", transpose=True)
        self(tf.zeros((1, latent_dim)))

    def call(self, z, training=False):
        if z.shape.rank != 2 or z.shape[-1] != self.latent_dim:
            raise ValueError(f"generator input z must have shape (batch, {self.latent_dim}), "
                             f"got {tuple(z.shape)}")
        h = tf.nn.relu(self.bn1(self.fc1(z), training=training))
        h = tf.nn.relu(self.bn2(self.fc2(h), training=training))
        h = tf.reshape(h, [-1, 7, 7, 128])
        h = tf.nn.relu(self.bn3(self.deconv3(h), training=training))
        return tf.tanh(self.deconv4(h))

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim}


@keras.saving.register_keras_serializable(package="tfgan_ad.mnist")
class Discriminator(keras.Model):
    """D(x, z) of the BiGAN (EGBAD Table 4); returns ``(logits, features)``."""

    def __init__(self, latent_dim=200, dropout=0.5, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim, self.dropout = latent_dim, dropout
        self.conv1 = _conv(64, 4, 2, "conv1")
        self.conv2, self.bn2 = _conv(64, 4, 2, "conv2"), _bn("bn2")
        self.fc_z = _dense(512, "fc_z")
        self.fc_xz = _dense(1024, "fc_xz")
        self.logit = _dense(1, "fc_logit", dtype=LOGIT_DTYPE)
        self.drop = [SeededDropout(dropout, name=f"dropout_{i}") for i in range(4)]
        self((tf.zeros((1, *IMAGE_SHAPE)), tf.zeros((1, latent_dim))))

    def call(self, inputs, training=False, seed=None):
        x, z = inputs
        _check_images(x, "discriminator input x")
        hx = self.drop[0](_lrelu(self.conv1(x)), training=training, seed=sub_seed(seed, 0))
        hx = self.drop[1](_lrelu(self.bn2(self.conv2(hx), training=training)),
                          training=training, seed=sub_seed(seed, 1))
        hx = tf.reshape(hx, [tf.shape(hx)[0], 7 * 7 * 64])
        hz = self.drop[2](_lrelu(self.fc_z(z)), training=training, seed=sub_seed(seed, 2))
        features = self.drop[3](_lrelu(self.fc_xz(tf.concat([hx, hz], axis=1))),
                                training=training, seed=sub_seed(seed, 3))
        return self.logit(features), features

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim, "dropout": self.dropout}


@keras.saving.register_keras_serializable(package="tfgan_ad.mnist")
class GANDiscriminator(keras.Model):
    """D(x) of the plain GAN behind AnoGAN (EGBAD Table 3); returns ``(logits, features)``."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.conv1 = _conv(64, 4, 2, "conv1")
        self.conv2, self.bn2 = _conv(64, 4, 2, "conv2"), _bn("bn2")
        self.fc3, self.bn3 = _dense(1024, "fc3"), _bn("bn3")
        self.logit = _dense(1, "fc_logit", dtype=LOGIT_DTYPE)
        self(tf.zeros((1, *IMAGE_SHAPE)))

    def call(self, x, training=False, seed=None):
        _check_images(x, "discriminator input x")
        h = _lrelu(self.conv1(x))
        h = _lrelu(self.bn2(self.conv2(h), training=training))
        h = tf.reshape(h, [tf.shape(h)[0], 7 * 7 * 64])
        features = _lrelu(self.bn3(self.fc3(h), training=training))
        return self.logit(features), features
