"""WGAN-GP: the generator behind ADGAN (Deecke et al. 2018, §4.2), on the shared trainer.

One training step (Gulrajani et al. 2017, Algorithm 1):

1. ``n_critic`` critic updates, each on its own fresh mini-batch x_i (the
   trainer hands the step ``batches_per_step = n_critic`` independent
   batches) with fresh z_i ~ N(0, I):
   ``L_D = mean D(G(z_i)) − mean D(x_i) + λ·GP``.
2. One generator update with fresh z: ``L_G = −mean D(G(z))``.
3. EMA update of all trainable weights.

With ``clip_value`` c > 0 every critic update is followed by clipping each
critic weight to [−c, c], the weight-clipped WGAN of Arjovsky et al. 2017
(Algorithm 1: c = 0.01, RMSprop 5e-5, n_critic 5, no penalty): set
``optimizer="rmsprop"``, ``learning_rate=5e-5`` and ``gp_weight=0`` for it. ADGAN §2
asks only for "the WGAN objective" with a 1-Lipschitz critic; the issue asks for
the penalty, which stays the default.

The gradient penalty (:func:`gradient_penalty`) is TF-GAN's
``wasserstein_gradient_penalty``: x̂ = x + ε·(G(z) − x) with ε ~ U[0, 1]
per sample, ``GP = mean((‖∇D(x̂)‖ − 1)²)`` where the norm is
``sqrt(Σ g² + 1e-12)``: the epsilon inside the root keeps the penalty's own
gradient finite where ∇D(x̂) = 0.

BatchNorm of the generator runs in training mode in every G call of the step
(as in the reference WGAN-GP code), so its moving statistics are updated
n_critic + 1 times per step; they are running estimates of their own and not
covered by the weight EMA.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import keras
import tensorflow as tf

from tfgan_ad.networks import dcgan
from tfgan_ad.networks.layers import replica_rows, sub_seed
from tfgan_ad.training import steps
from tfgan_ad.training.config import ModelConfig
from tfgan_ad.training.ema import EMA

GP_EPSILON = 1e-12
#: ``WGANGPConfig.optimizer`` values
OPTIMIZERS = ("adam", "rmsprop")


@dataclass
class WGANGPConfig(ModelConfig):
    """Configuration of the WGAN-GP behind ADGAN.

    Args (besides :class:`ModelConfig`'s; ``dropout`` and ``spectral_norm`` are unused):
        architecture: ``"dcgan"`` (:mod:`tfgan_ad.networks.dcgan`, 28×28×1 images).
        latent_dim: 256 (ADGAN §4.2, following Metz et al.).
        width: channel multiplier of both networks (:mod:`tfgan_ad.networks.dcgan`; 1
            is its table).
        learning_rate, beta_1, beta_2: Adam 1e-4, (0.5, 0.9) (Gulrajani et al., Alg. 1
            uses β₁ = 0; 0.5 is the common DCGAN-architecture choice).
        gp_weight: λ = 10 (0: no penalty, and none computed).
        n_critic: critic updates per generator update (5).
        optimizer: ``"adam"`` (with ``beta_1``, ``beta_2``) or ``"rmsprop"`` (ρ = 0.99, no
            momentum, ε ``rmsprop_epsilon``: PyTorch's defaults, which Arjovsky et al.'s code
            ran; the betas are unused), both nets.
        rmsprop_epsilon: Keras adds ε *inside* the square root (``lr·g/sqrt(v + ε)``),
            PyTorch outside (``lr·g/(sqrt(v) + 1e-8)``); 1e-16 inside gives the same floor
            of 1e-8 on the denominator. Keras's own 1e-7 (or 1e-8) would floor it at ~1e-4 and
            damp every step whose gradient is below that, as a clipped critic's often are.
        clip_value: c > 0 clips every critic weight to [−c, c] after each critic update
            (Arjovsky et al.: 0.01); 0 (default) clips nothing.
        ema_decay, ema_warmup: weight EMA for scoring and export.
    """

    ARCHITECTURES: ClassVar[tuple] = ("dcgan",)

    architecture: str = "dcgan"
    n_features: int = 28 * 28
    latent_dim: int = dcgan.LATENT_DIM
    width: int = 1
    learning_rate: float = 1e-4
    beta_1: float = 0.5
    beta_2: float = 0.9
    ema_decay: float = 0.999
    ema_warmup: bool = True
    gp_weight: float = 10.0
    n_critic: int = 5
    optimizer: str = "adam"
    clip_value: float = 0.0
    rmsprop_epsilon: float = 1e-16

    def __post_init__(self):
        super().__post_init__()
        if self.n_critic < 1:
            raise ValueError(f"n_critic must be >= 1, got {self.n_critic}")
        if not self.gp_weight >= 0:  # also refuses NaN
            raise ValueError(f"gp_weight must be >= 0, got {self.gp_weight}")
        if not (self.clip_value >= 0 and math.isfinite(self.clip_value)):
            raise ValueError(f"clip_value must be finite and >= 0 (0: no clipping), "
                             f"got {self.clip_value}")
        if not (self.rmsprop_epsilon > 0 and math.isfinite(self.rmsprop_epsilon)):
            raise ValueError(f"rmsprop_epsilon must be finite and > 0, got {self.rmsprop_epsilon}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; known: {OPTIMIZERS}")
        self.width = dcgan._check_width(self.width)

    def make_optimizer(self, name: str, variables):
        """A built ``optimizer`` for ``variables`` (see the class docstring)."""
        if self.optimizer == "adam":
            return self.adam(name, variables)
        return self.built(keras.optimizers.RMSprop(self.learning_rate, rho=0.99,
                                                   epsilon=self.rmsprop_epsilon, name=name),
                          variables)


def build_networks(config: WGANGPConfig):
    """(generator, critic) for ``config.architecture`` ("dcgan")."""
    if config.architecture != "dcgan":
        raise ValueError(f"unknown WGAN-GP architecture {config.architecture!r}; known: 'dcgan'")
    return (dcgan.Generator(config.latent_dim, config.width, name="generator"),
            dcgan.Critic(config.width, name="critic"))


def _critic_values(critic, x):
    return tf.reshape(tf.cast(critic(x), tf.float32), [-1])


def gradient_penalty(critic, real, fake, seed, gp_weight: float = 10.0,
                     epsilon: float = GP_EPSILON):
    """``gp_weight · mean((sqrt(Σ ∇D(x̂)² + epsilon) − 1)²)`` on x̂ = real + ε·(fake − real).

    Args:
        critic: callable x → [N] or [N, 1] critic values.
        real, fake: [N, ...] batches of the same shape.
        seed: stateless seed (shape [2]) of the interpolation weights ε ~ U[0, 1],
            one per sample.
    """
    # float32 whatever the networks' precision: x̂, the input gradient and its norm
    real = tf.cast(real, tf.float32)
    fake = tf.cast(fake, tf.float32)
    shape = tf.concat([tf.shape(real)[:1], tf.ones([real.shape.rank - 1], tf.int32)], axis=0)
    eps = replica_rows(lambda s: tf.random.stateless_uniform(s, seed=seed), shape)
    x_hat = real + eps * (fake - real)
    with tf.GradientTape() as tape:
        tape.watch(x_hat)
        d = tf.reduce_sum(_critic_values(critic, x_hat))  # per-sample terms
    g = tape.gradient(d, x_hat)
    norm = tf.sqrt(tf.reduce_sum(tf.square(g), axis=list(range(1, real.shape.rank))) + epsilon)
    return gp_weight * tf.reduce_mean(tf.square(norm - 1.0))


class WGANGP(tf.Module):
    """Generator, critic, optimizers and EMA of a WGAN-GP, and its training step.

    Example:
        >>> gan = WGANGP(WGANGPConfig())
        >>> Trainer(gan, TrainConfig(epochs=20, batch_size=64)).fit(x_train)  # [N, 28, 28, 1]
        >>> with gan.ema.averaged():
        ...     scores = make_adgan_scorer(gan.generator)(x_test)["score"]

    Reference: Gulrajani et al., "Improved Training of Wasserstein GANs", 2017,
    Algorithm 1; Deecke et al. 2018 (ADGAN), §4.2.
    """

    loss_names = ("loss_d", "loss_g", "gradient_penalty", "wasserstein")

    def __init__(self, config: WGANGPConfig | None = None, networks=None):
        super().__init__(name="wgan_gp")
        config = config or WGANGPConfig()
        self.config = config
        self.batches_per_step = config.n_critic
        with config.precision_scope():
            self.generator, self.critic = networks or build_networks(config)
        self.opt_d = config.make_optimizer("opt_d", self.critic.trainable_variables)
        self.opt_g = config.make_optimizer("opt_g", self.generator.trainable_variables)
        self.ema = EMA(self.generator.trainable_variables + self.critic.trainable_variables,
                       config.ema_decay, warmup=config.ema_warmup)

    def checkpoint_items(self) -> dict:
        return {"generator": self.generator, "critic": self.critic,
                "opt_d": self.opt_d, "opt_g": self.opt_g, "ema": self.ema}

    def _latent(self, n, seed):
        return steps.latent(n, self.config.latent_dim, seed)

    def train_step(self, batches, seed):
        gen, critic, cfg = self.generator, self.critic, self.config
        d_vars = critic.trainable_variables
        loss_d = gp = w = tf.zeros([], tf.float32)
        for i, x in enumerate(batches):  # n_critic critic updates, one batch each
            s = sub_seed(seed, i)
            z = self._latent(tf.shape(x)[0], sub_seed(s, 0))
            fake = gen(z, training=True)
            with tf.GradientTape() as tape:
                w_i = (tf.reduce_mean(_critic_values(critic, x))
                       - tf.reduce_mean(_critic_values(critic, fake)))
                gp_i = (gradient_penalty(critic, x, fake, sub_seed(s, 1), cfg.gp_weight)
                        if cfg.gp_weight > 0 else tf.zeros([], tf.float32))
                loss_i = -w_i + gp_i
            steps.minimize(tape, self.opt_d, loss_i, d_vars)
            if cfg.clip_value > 0:
                for v in d_vars:
                    v.assign(tf.clip_by_value(v, -cfg.clip_value, cfg.clip_value))
            loss_d, gp, w = loss_d + loss_i, gp + gp_i, w + w_i

        z = self._latent(tf.shape(batches[0])[0], sub_seed(seed, len(batches)))
        with tf.GradientTape() as tape:
            loss_g = -tf.reduce_mean(_critic_values(critic, gen(z, training=True)))
        g_vars = gen.trainable_variables
        steps.minimize(tape, self.opt_g, loss_g, g_vars)
        self.ema.update()
        k = float(len(batches))
        return {"loss_d": loss_d / k, "loss_g": loss_g, "gradient_penalty": gp / k,
                "wasserstein": w / k}
