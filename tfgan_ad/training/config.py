"""Model configurations: data, written into results and model cards, read back by the zoo."""

from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass
from typing import ClassVar

import keras
import numpy as np

from tfgan_ad.validate import whole_number

#: ``ModelConfig.precision`` values: Keras dtype policies
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")
#: the largest finite float16; under ``mixed_float16`` a larger input becomes inf
FLOAT16_MAX = float(np.finfo(np.float16).max)
#: defaults of the fields a ``ModelConfig`` leaves ``None``, by architecture: EGBAD
#: Table 6 (KDD99) and Table 4 with the reference code's MNIST settings (latent 200,
#: EMA 0.999, dropout 0.5 in D; Table 3's GAN discriminator has no dropout)
ARCHITECTURE_DEFAULTS = {
    "kdd": dict(latent_dim=32, ema_decay=0.9999, dropout=0.2),
    "mnist": dict(latent_dim=200, ema_decay=0.999, dropout=0.5),
}


@dataclass
class ModelConfig:
    """What to train: architecture and optimisation (EGBAD appendix defaults).

    Args:
        architecture: ``"kdd"`` (Tables 5-6 MLPs) or ``"mnist"`` (Tables 3-4 conv nets).
            ``latent_dim``, ``ema_decay`` and ``dropout`` left ``None`` take this
            architecture's defaults (:data:`ARCHITECTURE_DEFAULTS`).
        n_features, latent_dim: data and latent widths.
        learning_rate, beta_1, beta_2: Adam, the same for every network.
        ema_decay: decay of the weight EMA used for scoring and export.
        ema_warmup: ramp the EMA decay up over the first steps (:class:`EMA`);
            off in the paper's code, needed for runs of a few hundred steps.
        dropout: dropout rate in D.
        spectral_norm: spectral normalization on D's Dense layers (not in the paper).
        precision: Keras dtype policy of the networks: ``"float32"``,
            ``"mixed_bfloat16"`` (CPUs with bf16 units, TPUs) or ``"mixed_float16"``
            (GPUs; the optimizers then scale the loss dynamically). Weights,
            optimizer state, EMA shadows, logits (each network's last layer),
            losses, the gradient penalty and the test-time latent searches stay
            float32.
    """

    #: the ``architecture`` values this config's networks are built for
    ARCHITECTURES: ClassVar[tuple] = ("kdd", "mnist")

    architecture: str = "kdd"
    n_features: int = 121
    latent_dim: int | None = None
    learning_rate: float = 1e-5
    beta_1: float = 0.5
    beta_2: float = 0.999
    ema_decay: float | None = None
    ema_warmup: bool = False
    dropout: float | None = None
    spectral_norm: bool = False
    precision: str = "float32"

    def __post_init__(self):
        if self.architecture not in self.ARCHITECTURES:
            raise ValueError(f"unknown architecture {self.architecture!r} for "
                             f"{type(self).__name__}; known: {', '.join(self.ARCHITECTURES)}")
        defaults = ARCHITECTURE_DEFAULTS.get(self.architecture, ARCHITECTURE_DEFAULTS["kdd"])
        for name, value in defaults.items():
            if getattr(self, name) is None:
                setattr(self, name, value)
        if self.precision not in PRECISIONS:
            raise ValueError(f"unknown precision {self.precision!r}; known: {PRECISIONS}")
        if not self.learning_rate > 0:  # also refuses NaN
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate}")
        whole_number("latent_dim", self.latent_dim, 1)
        for name in ("beta_1", "beta_2"):  # Adam's decay rates; also refuses NaN
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)}")

    def check_range(self, x, what: str = "inputs") -> None:
        """Refuse inputs that the networks' ``precision`` cannot represent.

        Under ``mixed_float16`` each network's first layer casts its input to
        float16, so a magnitude above 65504 becomes inf and the losses or scores
        NaN. (bfloat16 has float32's range.)
        """
        if self.precision != "mixed_float16":
            return
        x = np.asarray(x)
        peak = float(np.max(np.abs(x))) if x.size else 0.0
        if peak > FLOAT16_MAX:
            raise ValueError(
                f"{what} reach {peak:.6g}, beyond float16's range "
                f"(±{FLOAT16_MAX:g}) that precision 'mixed_float16' computes in: scale "
                f"the features (e.g. KDD99 scaling 'log_minmax') or use precision "
                f"'float32' or 'mixed_bfloat16'")

    @contextlib.contextmanager
    def precision_scope(self):
        """Networks built inside this block compute in ``precision``."""
        previous = keras.config.dtype_policy()
        keras.config.set_dtype_policy(self.precision)
        try:
            yield
        finally:
            keras.config.set_dtype_policy(previous)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict):
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ValueError(f"unknown {cls.__name__} field(s): {sorted(unknown)}")
        return cls(**d)

    def adam(self, name: str, variables) -> keras.optimizers.Optimizer:
        """A built Adam optimizer for ``variables`` with this config's settings."""
        return self.built(keras.optimizers.Adam(self.learning_rate, beta_1=self.beta_1,
                                                beta_2=self.beta_2, name=name), variables)

    def built(self, opt: keras.optimizers.Optimizer, variables) -> keras.optimizers.Optimizer:
        """``opt`` built for ``variables``; under ``mixed_float16`` wrapped to scale the loss."""
        name = opt.name
        if self.precision == "mixed_float16":
            opt = keras.optimizers.LossScaleOptimizer(opt, name=f"{name}_loss_scale")
        opt.build(variables)
        return opt


#: ``bn_statistics`` values: whose passes move a BatchNorm layer's moving statistics
BN_STATISTICS = ("every_pass", "own_step")


@dataclass
class _AdversarialConfig(ModelConfig):
    """ModelConfig plus the BatchNorm rule of the BiGAN and GAN steps.

    Args (besides :class:`ModelConfig`'s):
        bn_statistics: ``"every_pass"`` (default): every training-mode pass of a network
            moves its BatchNorm moving statistics, in whichever network's step it runs.
            ``"own_step"``: as the official EGBAD code (TF1 update ops attached to each
            network's own optimizer), a network's statistics move only in the step that
            updates its weights; its passes in the other networks' step still normalise
            with batch statistics. Only the MNIST nets have BatchNorm.
    """

    bn_statistics: str = "every_pass"

    def __post_init__(self):
        super().__post_init__()
        if self.bn_statistics not in BN_STATISTICS:
            raise ValueError(f"unknown bn_statistics {self.bn_statistics!r}; "
                             f"known: {BN_STATISTICS}")


class BiGANConfig(_AdversarialConfig):
    """Configuration of an EGBAD BiGAN (Table 6 defaults)."""


class GANConfig(_AdversarialConfig):
    """Configuration of the plain GAN behind AnoGAN (Table 5 defaults)."""
