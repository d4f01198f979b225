"""BiGAN (EGBAD): encoder E, generator G, discriminator D on (x, z).

One training step, as in the EGBAD reference code:

1. D step on batch x₁ with z₁ ~ N(0, I):
   ``L_D = BCE(D(x₁, E(x₁)), 1) + BCE(D(G(z₁), z₁), 0)``.
2. G and E step on an independently shuffled batch x₂ with fresh z₂, both
   gradients from the same forward pass:
   ``L_G = BCE(D(G(z₂), z₂), 1)``, ``L_E = BCE(D(x₂, E(x₂)), 0)`` (flipped labels).
3. EMA update of all trainable weights.
"""

from __future__ import annotations

import tensorflow as tf

from tfgan_ad.networks import kdd, mnist
from tfgan_ad.networks.layers import sub_seed
from tfgan_ad.training import losses, steps
from tfgan_ad.training.config import BiGANConfig
from tfgan_ad.training.ema import EMA


def build_networks(config: BiGANConfig):
    """(encoder, generator, discriminator) for ``config.architecture`` ("kdd" | "mnist")."""
    if config.architecture == "mnist":
        return (mnist.Encoder(config.latent_dim, name="encoder"),
                mnist.Generator(config.latent_dim, name="generator"),
                mnist.Discriminator(config.latent_dim, dropout=config.dropout,
                                    name="discriminator"))
    if config.architecture != "kdd":
        raise ValueError(f"unknown BiGAN architecture {config.architecture!r}; "
                         "known: 'kdd', 'mnist'")
    return (
        kdd.Encoder(config.n_features, config.latent_dim, name="encoder"),
        kdd.Generator(config.n_features, config.latent_dim, name="generator"),
        kdd.Discriminator(config.n_features, config.latent_dim, dropout=config.dropout,
                          spectral_norm=config.spectral_norm, name="discriminator"),
    )


class BiGAN(tf.Module):
    """Networks, optimizers and EMA of a BiGAN, and its training step.

    Example:
        >>> gan = BiGAN(BiGANConfig())
        >>> Trainer(gan, TrainConfig(epochs=50)).fit(x_train)
        >>> with gan.ema.averaged():
        ...     scores = egbad_score(gan.encoder, gan.generator, gan.discriminator, x_test)

    Reference: Zenati et al., "Efficient GAN-Based Anomaly Detection", §3 and appendix D.
    """

    batches_per_step = 2
    loss_names = ("loss_d", "loss_g", "loss_e")

    def __init__(self, config: BiGANConfig, networks=None):
        super().__init__(name="bigan")
        self.config = config
        with config.precision_scope():
            self.encoder, self.generator, self.discriminator = networks or build_networks(config)

        self.opt_d = config.adam("opt_d", self.discriminator.trainable_variables)
        self.opt_g = config.adam("opt_g", self.generator.trainable_variables)
        self.opt_e = config.adam("opt_e", self.encoder.trainable_variables)
        self.ema = EMA(self.encoder.trainable_variables + self.generator.trainable_variables
                       + self.discriminator.trainable_variables, config.ema_decay,
                       warmup=config.ema_warmup)

    def checkpoint_items(self) -> dict:
        return dict(encoder=self.encoder, generator=self.generator,
                    discriminator=self.discriminator, opt_d=self.opt_d, opt_g=self.opt_g,
                    opt_e=self.opt_e, ema=self.ema)

    def _latent(self, n, seed):
        return steps.latent(n, self.config.latent_dim, seed)

    def train_step(self, batches, seed):
        x_d, x_ge = batches
        n = tf.shape(x_d)[0]
        enc, gen, dis = self.encoder, self.generator, self.discriminator

        own = self.config.bn_statistics == "own_step"
        z = self._latent(n, sub_seed(seed, 0))
        with steps.statistics_kept((enc, gen), own), tf.GradientTape() as tape:
            l_enc, _ = dis((x_d, enc(x_d, training=True)), training=True, seed=sub_seed(seed, 1))
            l_gen, _ = dis((gen(z, training=True), z), training=True, seed=sub_seed(seed, 2))
            loss_d = losses.bigan_discriminator_loss(l_enc, l_gen)
        d_vars = dis.trainable_variables
        steps.minimize(tape, self.opt_d, loss_d, d_vars)

        z = self._latent(n, sub_seed(seed, 3))
        with steps.statistics_kept((dis,), own), tf.GradientTape(persistent=True) as tape:
            l_enc, _ = dis((x_ge, enc(x_ge, training=True)), training=True, seed=sub_seed(seed, 4))
            l_gen, _ = dis((gen(z, training=True), z), training=True, seed=sub_seed(seed, 5))
            loss_g = losses.bigan_generator_loss(l_gen)
            loss_e = losses.bigan_encoder_loss(l_enc)
        g_vars, e_vars = gen.trainable_variables, enc.trainable_variables
        g_grads = steps.gradients(tape, self.opt_g, loss_g, g_vars)
        e_grads = steps.gradients(tape, self.opt_e, loss_e, e_vars)
        del tape
        self.opt_g.apply_gradients(zip(g_grads, g_vars))
        self.opt_e.apply_gradients(zip(e_grads, e_vars))
        self.ema.update()
        return {"loss_d": loss_d, "loss_g": loss_g, "loss_e": loss_e}
