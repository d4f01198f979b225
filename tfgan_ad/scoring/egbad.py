"""EGBAD anomaly score: ``A(x) = α·L_G(x) + (1 − α)·L_D(x)``, higher = more anomalous.

* ``L_G(x) = ‖x − G(E(x))‖_p`` (p = ``degree``, 1 in the paper).
* ``L_D`` "sigma": cross-entropy of D against the "real" label. The paper
  defines it on the encoder pair, ``BCE(D(x, E(x)), 1)`` (``sigma_pair="paper"``);
  the official code used the reconstruction pair ``BCE(D(G(E(x)), E(x)), 1)``
  (``sigma_pair="official"``, PROTOCOLS.md pitfall 6).
* ``L_D`` "fm": ``‖f_D(x, E(x)) − f_D(G(E(x)), E(x))‖_p``, f_D = D's last hidden layer.

Scores are pure functions of the networks and x: D runs without dropout,
nothing depends on other rows of the batch.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import tensorflow as tf

from tfgan_ad.scoring.norms import row_norm

VARIANTS = ("sigma", "fm")
SIGMA_PAIRS = ("paper", "official")


@dataclass(frozen=True)
class ScoreConfig:
    """How to score: ``variant`` ("sigma" | "fm"), ``alpha``, norm ``degree``, ``sigma_pair``."""

    variant: str = "sigma"
    alpha: float = 0.9
    degree: int = 1
    sigma_pair: str = "paper"

    def __post_init__(self):
        if self.variant not in VARIANTS:
            raise ValueError(f"score variant must be one of {VARIANTS}, got {self.variant!r}")
        if self.sigma_pair not in SIGMA_PAIRS:
            raise ValueError(f"sigma_pair must be one of {SIGMA_PAIRS}, got {self.sigma_pair!r}")
        if not 0.0 <= self.alpha <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {self.alpha}")
        if self.degree not in (1, 2):
            raise ValueError(f"norm degree must be 1 or 2, got {self.degree}")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def egbad_components(encoder, generator, discriminator, x, degree: int = 1,
                     sigma_pair: str = "paper"):
    """``{"l_g", "l_d_sigma", "l_d_fm"}``, each shape (N,), from one forward pass."""
    x = tf.cast(x, tf.float32)
    z = encoder(x, training=False)
    x_rec = generator(z, training=False)
    logit_enc, feat_enc = discriminator((x, z), training=False)
    logit_rec, feat_rec = discriminator((x_rec, z), training=False)
    logit = logit_enc if sigma_pair == "paper" else logit_rec
    logit = tf.cast(tf.reshape(logit, [-1]), tf.float32)
    return {
        "l_g": row_norm(tf.cast(x - x_rec, tf.float32), degree),
        "l_d_sigma": tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.ones_like(logit),
                                                             logits=logit),
        "l_d_fm": row_norm(tf.cast(feat_enc - feat_rec, tf.float32), degree),
    }


def combine(components: dict, variant: str, alpha: float):
    """``α·L_G + (1 − α)·L_D`` from :func:`egbad_components`' output."""
    l_d = components["l_d_sigma"] if variant == "sigma" else components["l_d_fm"]
    return alpha * components["l_g"] + (1.0 - alpha) * l_d


def egbad_score(encoder, generator, discriminator, x, config: ScoreConfig = ScoreConfig()):
    """A(x) for a batch ``x`` (N, features) → (N,) float32."""
    parts = egbad_components(encoder, generator, discriminator, x, config.degree,
                             config.sigma_pair)
    return combine(parts, config.variant, config.alpha)
