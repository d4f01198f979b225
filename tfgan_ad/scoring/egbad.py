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


def _reconstruct(encoder, generator, x):
    # networks may compute in a mixed-precision dtype: scores are float32
    z = encoder(x, training=False)
    return z, tf.cast(generator(z, training=False), tf.float32)


def _sigma(logit):
    logit = tf.cast(tf.reshape(logit, [-1]), tf.float32)
    return tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.ones_like(logit), logits=logit)


def _both_pairs(discriminator, x, x_rec, z):
    """D on (x, z) and (x_rec, z) as one call on 2N rows (D is row-wise at inference)."""
    n = tf.shape(x)[0]
    logits, feats = discriminator((tf.concat([x, x_rec], 0), tf.concat([z, z], 0)),
                                  training=False)
    feats = tf.cast(feats, tf.float32)
    return logits[:n], logits[n:], feats[:n], feats[n:]


def egbad_components(encoder, generator, discriminator, x, degree: int = 1,
                     sigma_pair: str = "paper"):
    """``{"l_g", "l_d_sigma", "l_d_fm"}``, each shape (N,), from one forward pass."""
    x = tf.cast(x, tf.float32)
    z, x_rec = _reconstruct(encoder, generator, x)
    logit_enc, logit_rec, feat_enc, feat_rec = _both_pairs(discriminator, x, x_rec, z)
    return {
        "l_g": row_norm(x - x_rec, degree),
        "l_d_sigma": _sigma(logit_enc if sigma_pair == "paper" else logit_rec),
        "l_d_fm": row_norm(feat_enc - feat_rec, degree),
    }


def combine(components: dict, variant: str, alpha: float):
    """``α·L_G + (1 − α)·L_D`` from :func:`egbad_components`' output."""
    l_d = components["l_d_sigma"] if variant == "sigma" else components["l_d_fm"]
    return alpha * components["l_g"] + (1.0 - alpha) * l_d


def egbad_score(encoder, generator, discriminator, x, config: ScoreConfig = ScoreConfig()):
    """A(x) for a batch ``x`` (N, features) → (N,) float32.

    Runs only what ``config`` needs: σ calls D once, on the one pair it scores;
    FM calls it once on both pairs stacked.
    """
    x = tf.cast(x, tf.float32)
    z, x_rec = _reconstruct(encoder, generator, x)
    l_g = row_norm(x - x_rec, config.degree)
    if config.variant == "sigma":
        pair = (x, z) if config.sigma_pair == "paper" else (x_rec, z)
        l_d = _sigma(discriminator(pair, training=False)[0])
    else:
        _, _, feat_enc, feat_rec = _both_pairs(discriminator, x, x_rec, z)
        l_d = row_norm(feat_enc - feat_rec, config.degree)
    return config.alpha * l_g + (1.0 - config.alpha) * l_d
