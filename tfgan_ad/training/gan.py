"""The plain GAN behind AnoGAN (EGBAD Table 5 for KDD99), on the shared trainer.

One training step, as in the EGBAD reference code: a D step on a batch x
with z₁ ~ N(0, I) (``BCE(D(x), 1) + BCE(D(G(z₁)), 0)``), then a G step with
fresh z₂ (``BCE(D(G(z₂)), 1)``), then the EMA update.
"""

from __future__ import annotations

import tensorflow as tf

from tfgan_ad.networks import kdd, mnist
from tfgan_ad.networks.layers import sub_seed
from tfgan_ad.training import losses, steps
from tfgan_ad.training.config import GANConfig
from tfgan_ad.training.ema import EMA


def build_networks(config: GANConfig):
    """(generator, discriminator) for ``config.architecture`` ("kdd" | "mnist")."""
    if config.architecture == "mnist":
        return (mnist.Generator(config.latent_dim, name="generator"),
                mnist.GANDiscriminator(name="discriminator"))
    if config.architecture != "kdd":
        raise ValueError(f"unknown GAN architecture {config.architecture!r}; "
                         "known: 'kdd', 'mnist'")
    return (kdd.Generator(config.n_features, config.latent_dim, name="generator"),
            kdd.GANDiscriminator(config.n_features, dropout=config.dropout,
                                 name="discriminator"))


class GAN(tf.Module):
    """Generator, discriminator, optimizers and EMA of a GAN, and its training step.

    Reference: Schlegl et al. 2017 (AnoGAN); EGBAD appendix D, Table 5.
    """

    batches_per_step = 1
    loss_names = ("loss_d", "loss_g")

    def __init__(self, config: GANConfig, networks=None):
        super().__init__(name="gan")
        self.config = config
        with config.precision_scope():
            self.generator, self.discriminator = networks or build_networks(config)
        self.opt_d = config.adam("opt_d", self.discriminator.trainable_variables)
        self.opt_g = config.adam("opt_g", self.generator.trainable_variables)
        self.ema = EMA(self.generator.trainable_variables
                       + self.discriminator.trainable_variables, config.ema_decay,
                       warmup=config.ema_warmup)

    def checkpoint_items(self) -> dict:
        return dict(generator=self.generator, discriminator=self.discriminator,
                    opt_d=self.opt_d, opt_g=self.opt_g, ema=self.ema)

    def _latent(self, n, seed):
        return steps.latent(n, self.config.latent_dim, seed)

    def train_step(self, batches, seed):
        (x,) = batches
        n = tf.shape(x)[0]
        gen, dis = self.generator, self.discriminator
        own = self.config.bn_statistics == "own_step"
        z = self._latent(n, sub_seed(seed, 0))
        with steps.statistics_kept((gen,), own), tf.GradientTape() as tape:
            l_real, _ = dis(x, training=True, seed=sub_seed(seed, 1))
            l_fake, _ = dis(gen(z, training=True), training=True, seed=sub_seed(seed, 2))
            loss_d = losses.discriminator_loss(l_real, l_fake)
        d_vars = dis.trainable_variables
        steps.minimize(tape, self.opt_d, loss_d, d_vars)

        z = self._latent(n, sub_seed(seed, 3))
        with steps.statistics_kept((dis,), own), tf.GradientTape() as tape:
            l_fake, _ = dis(gen(z, training=True), training=True, seed=sub_seed(seed, 4))
            loss_g = losses.generator_loss(l_fake)
        g_vars = gen.trainable_variables
        steps.minimize(tape, self.opt_g, loss_g, g_vars)
        self.ema.update()
        return {"loss_d": loss_d, "loss_g": loss_g}
