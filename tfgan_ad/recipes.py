"""Named, documented training recipes: everything needed to reproduce a model.

A recipe is data (written into results and model cards), never tuned on test
labels. ``faithful`` follows EGBAD Table 6 and the reference code; ``stable``
is the library default for KDD99 (see README, "Recipes").
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from tfgan_ad.scoring.egbad import ScoreConfig
from tfgan_ad.training.bigan import BiGANConfig
from tfgan_ad.training.trainer import TrainConfig


@dataclass
class Recipe:
    name: str
    description: str
    scaling: str
    model: BiGANConfig = field(default_factory=BiGANConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    score: ScoreConfig = field(default_factory=ScoreConfig)
    contamination: float = 0.01
    restarts: int = 1

    def to_dict(self) -> dict:
        return {"name": self.name, "description": self.description, "scaling": self.scaling,
                "model": self.model.to_dict(), "train": self.train.to_dict(),
                "score": self.score.to_dict(), "contamination": self.contamination,
                "restarts": self.restarts}

    def replace(self, **changes) -> "Recipe":
        return dataclasses.replace(self, **changes)


def faithful(scaling: str = "none") -> Recipe:
    """EGBAD Table 6 as published: Adam(1e-5, β₁ 0.5), batch 50, latent 32, 50 epochs,
    EMA 0.9999, dropout 0.2 in D; ``scaling`` "none" (the reference code) or "minmax" (the text)."""
    return Recipe(
        name="faithful",
        description="EGBAD Table 6 hyper-parameters and reference-code training step",
        scaling=scaling,
    )


def stable() -> Recipe:
    """The KDD99 default. Every choice below was made on validation data from the
    training half (experiments/kdd99_select_recipe.py, ``kdd99_recipe_selection.md``),
    never by scoring a choice on the test half. It is not fully blind to the test
    half, though: two earlier versions (50 epochs; 10 epochs without restarts)
    were run on the test splits, their weak results prompted the next round of
    validation, and both stay in ``kdd99_bigan.md``. Changes from ``faithful``:

    * ``log_minmax`` features: log1p of the heavy-tailed counts, then min-max, so
      every input lies in [0, 1] and the byte counts (up to ~7·10⁸), which made
      the encoder loss reach 10⁴ and the faithful runs seed-unstable, no longer
      dominate every L1 distance, while their magnitude stays visible;
    * learning rate 1e-4 instead of 1e-5: on [0, 1]-scaled inputs every 1e-5
      candidate (min-max or log, with or without spectral norm) ranked a whole
      training mode (``neptune.``) above the anomalies on validation data (F1 < 0.2),
      i.e. the encoder/generator had not yet learned to reconstruct it;
    * 10 epochs instead of 50: on validation data this recipe reached F1 ≈ 0.93
      at 10 epochs on three seeds, but 0.90-0.91 at 20 and 50 epochs, and was
      erratic at 5 (where the EMA, started from the initial weights, still
      carries ~14% of them);
    * 3 restarts per run, keeping the one whose *training* rows score lowest at
      their 90th percentile (``Detector(restarts=3)``). On the log_minmax
      validation runs every collapsed model (F1 < 0.5) had a training-score q90
      of 11.3 or more, the models with F1 ≥ 0.9 had 2.3-8.6 (the table at the
      end of ``kdd99_recipe_selection.md``): a GAN that fails to reconstruct a
      whole mode of its own training data shows it there. The 10-epoch
      single-run version of this recipe had been run on the test splits first
      (kept in the results as ``n_restarts`` 1) and varied widely from seed to seed;
    * ``contamination=0.02`` for the deployable threshold (98th percentile of
      training scores): on the validation sets the 99th percentile fell among
      rare attack types above all ``normal.`` traffic.

    Spectral normalization on D was tried and rejected on validation data (it
    collapsed the same way as the 1e-5 runs). Every comparison is in
    ``experiments/results/kdd99_recipe_selection.md``.
    """
    return Recipe(
        name="stable",
        description="log1p+min-max features, Adam 1e-4, 10 epochs, best of 3 restarts by "
                    "training-score q90, threshold at the 98th training percentile; "
                    "otherwise Table 6",
        scaling="log_minmax",
        model=BiGANConfig(learning_rate=1e-4),
        train=TrainConfig(epochs=10),
        contamination=0.02,
        restarts=3,
    )


def candidate(name: str, scaling: str, **model) -> Recipe:
    """A recipe under evaluation on the validation protocol (``eval_set="validation"``)."""
    return Recipe(name=name, description="candidate for the stable recipe", scaling=scaling,
                  model=BiGANConfig(**model))


#: What was compared, on validation data from the training half only, before the
#: stable recipe was fixed (experiments/kdd99_select_recipe.py).
CANDIDATES = {
    "c_none_lr1e-5": lambda: candidate("c_none_lr1e-5", "none"),
    "c_minmax_lr1e-5": lambda: candidate("c_minmax_lr1e-5", "minmax"),
    "c_log_lr1e-5": lambda: candidate("c_log_lr1e-5", "log_minmax"),
    "c_log_lr1e-4": lambda: candidate("c_log_lr1e-4", "log_minmax", learning_rate=1e-4),
    "c_log_lr1e-4_sn": lambda: candidate("c_log_lr1e-4_sn", "log_minmax", learning_rate=1e-4,
                                         spectral_norm=True),
    "c_log_lr1e-5_sn": lambda: candidate("c_log_lr1e-5_sn", "log_minmax", spectral_norm=True),
    # the stable recipe itself, checked on validation at its full 50 epochs
    "stable": stable,
}

RECIPES = {"faithful": faithful, "stable": stable, **CANDIDATES}


def get(name: str, **kwargs) -> Recipe:
    if name not in RECIPES:
        raise ValueError(f"unknown recipe {name!r}; known: {sorted(RECIPES)}")
    return RECIPES[name](**kwargs)
