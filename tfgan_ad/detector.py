"""Scikit-learn / PyOD style detectors: EGBAD (BiGAN), AnoGAN and ADGAN.

The data path is one way: raw records → preprocessing layer (fitted here,
saved with the model) → EMA networks → score → ``threshold_`` → decision.
:class:`Detector` owns that path; a subclass says how to train its networks
and how to score features.
"""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from tfgan_ad.data.features import IMAGE_SHAPE, check_features
from tfgan_ad.data.kdd99 import as_records
from tfgan_ad.errors import assertion_text, non_finite_scores
from tfgan_ad.metrics import check_contamination, contamination_threshold
from tfgan_ad.scoring.adgan import ADGANSearchConfig, adgan_search_chunked, make_adgan_scorer
from tfgan_ad.scoring.anogan import AnoGANSearchConfig, anogan_search, make_anogan_scorer
from tfgan_ad.scoring.egbad import ScoreConfig, egbad_components, egbad_score
from tfgan_ad.training.bigan import BiGAN, BiGANConfig
from tfgan_ad.training.gan import GAN, GANConfig
from tfgan_ad.training.trainer import Trainer, TrainConfig
from tfgan_ad.training.wgan_gp import WGANGP, WGANGPConfig

SCORE_BATCH = 16384
#: architectures whose features are 28×28×1 images
IMAGE_ARCHITECTURES = ("mnist", "dcgan")


@contextlib.contextmanager
def _named_errors():
    """The preprocessing layer's in-graph checks (NaN, unknown category) as one ValueError."""
    try:
        yield
    except tf.errors.InvalidArgumentError as err:
        raise ValueError(f"bad records: {assertion_text(err.message)}") from None


def _subdir(directory, restart: int):
    return directory and str(Path(directory) / f"restart_{restart}")


class Detector:
    """The PyOD interface around a GAN: ``fit``, ``decision_function``, ``predict``.

    Args:
        preprocessor: a layer mapping raw KDD records to features (e.g.
            :class:`tfgan_ad.preprocessing.KDDPreprocessor`), fitted on the
            training records by :meth:`fit`; ``X`` is then KDDRecords, a dict of
            arrays or CSV lines (:func:`tfgan_ad.data.kdd99.as_records`). ``None``
            when ``X`` already holds feature rows (images: floats in [-1, 1]).
        model: the model configuration (architecture, optimiser, EMA).
        train: :class:`TrainConfig` (epochs, batch, seed, checkpoints).
        contamination: fraction of the *training* rows allowed above
            ``threshold_``, i.e. the false-alarm rate on normal data the
            threshold is set for (:func:`tfgan_ad.metrics.contamination_threshold`).
            It never looks at test data.
        restarts: train this many GANs (seeds ``seed``, ``seed + 1000``, ...) and
            keep the one whose training rows score lowest at their 90th
            percentile: a GAN that failed to reconstruct a whole mode of its
            own normal data shows it there. Uses training data only.
        threshold_sample: score only this many training rows (a seeded random
            subset, drawn once per fit) for ``threshold_`` and the restart rule;
            ``None`` scores them all. For scorers as slow as AnoGAN's search.
        jit_compile: compile the scoring functions with XLA (train steps: see
            ``TrainConfig.jit_compile``).

    Attributes (after ``fit``):
        threshold_: the score at or above which :meth:`predict` says 1.
        decision_scores_: scores of the training rows (of the sampled ones, with
            ``threshold_sample``).
        restarts_: one dict per restart (seed, training-score 90th percentile, kept).
    """

    default_model = BiGANConfig

    def __init__(self, preprocessor=None, model=None, train: TrainConfig | None = None,
                 contamination: float = 0.01, restarts: int = 1,
                 threshold_sample: int | None = None, jit_compile: bool = False):
        check_contamination(contamination)
        if restarts < 1:
            raise ValueError(f"restarts must be >= 1, got {restarts}")
        if threshold_sample is not None and threshold_sample < 1:
            raise ValueError(f"threshold_sample must be >= 1 or None, got {threshold_sample}")
        self.restarts = restarts
        self.threshold_sample = threshold_sample
        self.jit_compile = jit_compile
        self.restarts_: list[dict] = []
        self._compiled: dict = {}  # tf.functions bound to self.gan, by name (and settings)
        self.preprocessor = preprocessor
        self.model_config = model or self.default_model()
        width = getattr(preprocessor, "n_features", None)
        if (width is not None and self.model_config.architecture == "kdd"
                and self.model_config.n_features != width):
            raise ValueError(f"the model's n_features ({self.model_config.n_features}) is not "
                             f"the preprocessor's output width ({width})")
        self.train_config = train or TrainConfig()
        self.contamination = contamination
        self.gan = None
        self.trainer: Trainer | None = None
        self.threshold_: float | None = None
        self.decision_scores_: np.ndarray | None = None
        self._threshold_for = None  # the score settings threshold_ was set with
        self._threshold_contamination = None  # and the contamination
        self._fit_failed = False

    # -- features ---------------------------------------------------------------------------
    def features(self, X, _checked: bool = False) -> np.ndarray:
        """Raw records → model features (float32, N × n_features), validated.

        With a preprocessor ``X`` is raw KDD records in any form
        :func:`tfgan_ad.data.kdd99.as_records` takes (KDDRecords, a dict of arrays,
        CSV lines); without one, feature rows (see :func:`check_features`).
        """
        if self.preprocessor is not None:
            inputs = as_records(X).as_inputs()
            if not _checked:  # fit checked X's categories already
                self._check_categories(inputs["categorical"])
            n = len(inputs["continuous"])
            with _named_errors():
                parts = [self.preprocessor({k: v[i:i + SCORE_BATCH] for k, v in inputs.items()})
                         for i in range(0, n, SCORE_BATCH)]
            features = np.concatenate([p.numpy() for p in parts])
        else:  # ``_checked``: X is check_features' own output (fit checked it already)
            features = X if _checked else check_features(X, self.feature_shape)
        self.model_config.check_range(features, "features")
        return features

    def _check_categories(self, categorical) -> None:
        """An unknown category named by row and quoted, before the graph's own check."""
        if hasattr(self.preprocessor, "check_categories"):
            self.preprocessor.check_categories(categorical)

    # -- training ---------------------------------------------------------------------------
    def fit(self, X, y=None):
        """Fit preprocessing and the networks on normal data ``X``; set ``threshold_``.

        ``y`` is ignored (unsupervised), present for scikit-learn compatibility.

        A fit that fails or is interrupted leaves the detector unfitted (its
        preprocessing may already be refitted, so the previous networks and
        threshold are dropped rather than paired with it); the checkpoints of
        earlier fits stay on disk.
        """
        if self.preprocessor is not None:
            X = as_records(X)
            self._check_categories(X.categorical)  # as when scoring, before any refit
        else:  # shape, dtype, NaN and range named first, as when scoring
            X = check_features(X, self.feature_shape)
        need = self.train_config.batch_size
        if len(X) < need:  # refused before the preprocessing is refitted
            raise ValueError(f"need at least batch_size={need} training rows, got {len(X)}")
        try:
            return self._fit(X)
        except BaseException:
            self._set_gan(None)
            self.trainer, self.threshold_, self.decision_scores_ = None, None, None
            self.restarts_, self._threshold_for, self._fit_failed = [], None, True
            raise

    def _fit(self, X):
        self._fit_failed = False
        if self.preprocessor is not None and hasattr(self.preprocessor, "adapt"):
            with _named_errors():
                self.preprocessor.adapt(X.as_inputs())
        features = self.features(X, _checked=True)  # fit() checked X
        rows = self.threshold_rows(len(features))
        scored = features if len(rows) == len(features) else features[rows]
        best = None
        self.restarts_ = []
        for r in range(self.restarts):
            cfg = self.train_config
            if self.restarts > 1:
                cfg = dataclasses.replace(cfg, seed=cfg.seed + 1000 * r,
                                          checkpoint_dir=_subdir(cfg.checkpoint_dir, r),
                                          log_dir=_subdir(cfg.log_dir, r))
            keras.utils.set_random_seed(cfg.seed)  # initial weights follow the run seed
            self._set_gan(self._build_gan())
            self.trainer = Trainer(self.gan, cfg)
            self.trainer.fit(features)
            scores = self._scores_from_features(scored)
            q90 = float(np.quantile(scores, 0.9))
            self.restarts_.append({"restart": r, "seed": cfg.seed, "train_score_q90": q90})
            if best is None or q90 < best[0]:
                best = (q90, self.gan, self.trainer, scores, r)
        _, gan, self.trainer, self.decision_scores_, kept = best
        self._set_gan(gan)
        for rec in self.restarts_:
            rec["kept"] = rec["restart"] == kept
        self.threshold_ = contamination_threshold(self.decision_scores_, self.contamination)
        self._threshold_for = self.score_settings()
        self._threshold_contamination = self.contamination
        return self

    def set_threshold(self, X):
        """Set ``threshold_`` again from normal training data ``X`` with the current score
        settings (after changing ``score_config`` or ``search_config``); the networks are
        kept. Scores the same rows as :meth:`fit` (``threshold_sample``)."""
        self._check_fitted()
        features = self.features(X)
        rows = self.threshold_rows(len(features))
        self.decision_scores_ = self._scores_from_features(
            features if len(rows) == len(features) else features[rows])
        self.threshold_ = contamination_threshold(self.decision_scores_, self.contamination)
        self._threshold_for = self.score_settings()
        self._threshold_contamination = self.contamination
        return self

    def score_settings(self):
        """What the scores depend on besides the networks (the subclass's score or
        search config); ``threshold_`` holds only for the settings it was set with."""
        return None

    def check_threshold(self) -> float:
        """``threshold_``, if it was set with the current score settings; else a ValueError
        (a threshold for σ scores says nothing about FM scores)."""
        self._check_fitted()
        if self.score_settings() != self._threshold_for:
            raise ValueError(
                f"threshold_ was set for the score settings {self._threshold_for}, but they "
                f"are now {self.score_settings()}: call set_threshold(X_train) to set it for "
                f"these, or restore the settings")
        if self.contamination != self._threshold_contamination:
            raise ValueError(
                f"threshold_ was set for contamination {self._threshold_contamination}, but "
                f"it is now {self.contamination}: call set_threshold(X_train) to set it for "
                f"this contamination, or restore it")
        return self.threshold_

    def threshold_rows(self, n: int) -> np.ndarray:
        """Indices of the ``n`` training rows :meth:`fit` scores for ``threshold_`` and the
        restart rule: all of them, or ``threshold_sample`` of them drawn with the run's seed."""
        if self.threshold_sample is None or n <= self.threshold_sample:
            return np.arange(n)
        rng = np.random.default_rng([self.train_config.seed, 7])
        return np.sort(rng.choice(n, self.threshold_sample, replace=False))

    def _set_gan(self, gan):
        """Install ``gan`` and drop the compiled scorers bound to a previous one."""
        self.gan = gan
        self._compiled = {}

    def _build_gan(self):
        raise NotImplementedError

    def _scores_from_features(self, features) -> np.ndarray:
        raise NotImplementedError

    # -- export (tfgan_ad.export) -------------------------------------------------------------
    @property
    def feature_shape(self) -> tuple:
        if self.model_config.architecture in IMAGE_ARCHITECTURES:
            return IMAGE_SHAPE
        return (self.model_config.n_features,)

    def networks(self) -> dict:
        """The Keras networks :meth:`graph_score` reads."""
        raise NotImplementedError

    def graph_score(self, features):
        """Scores of a feature batch as pure TensorFlow (traced into exported graphs)."""
        raise NotImplementedError

    # -- scoring ----------------------------------------------------------------------------
    def _check_fitted(self):
        if self.gan is None:
            if self._fit_failed:
                raise RuntimeError("this detector is not fitted: its last fit failed, and the "
                                   "networks and threshold of any earlier fit were dropped "
                                   "with it (the preprocessing may have been refitted); call "
                                   "fit(X) again")
            raise RuntimeError("this detector is not fitted yet: call fit(X) first")

    def _run_batched(self, key, make_fn, features, batch: int) -> dict:
        """A scoring function (built by ``make_fn()`` once per ``key``: the settings in
        it may be reassigned) over ``features`` in batches of ``batch`` rows, with the
        EMA weights; its outputs concatenated."""
        self._check_fitted()
        key = (*key, self.jit_compile)
        if key not in self._compiled:
            self._compiled[key] = make_fn()
        fn = self._compiled[key]
        out = {}
        with self.gan.ema.averaged():
            for i in range(0, len(features), batch):
                part = fn(tf.constant(features[i:i + batch]))
                for k, v in part.items():
                    out.setdefault(k, []).append(v.numpy())
        return {k: np.concatenate(v) for k, v in out.items()}

    def score_samples(self, X) -> np.ndarray:
        """Anomaly score per row; higher = more anomalous. A NaN or infinite score (inputs
        so large that they overflow the networks) is a ValueError naming the row, not a
        score that ``predict`` would call normal."""
        self._check_fitted()
        scores = self._scores_from_features(self.features(X))
        bad = non_finite_scores(scores)
        if bad:
            raise ValueError(f"row {bad[0][0]}: {bad[0][1]}"
                             + (f" ({len(bad)} such rows)" if len(bad) > 1 else ""))
        return scores

    def decision_function(self, X) -> np.ndarray:
        """Same as :meth:`score_samples` (PyOD's name)."""
        return self.score_samples(X)

    def predict(self, X) -> np.ndarray:
        """1 where ``score >= threshold_`` (anomaly), else 0."""
        threshold = self.check_threshold()
        return (self.score_samples(X) >= threshold).astype(np.int64)


class BiGANDetector(Detector):
    """EGBAD anomaly detector (see :class:`Detector` for the interface).

    Args:
        score: :class:`ScoreConfig` (σ or FM, α, norm degree, σ pair).

    Example:
        >>> det = BiGANDetector(KDDPreprocessor("log_minmax"), train=TrainConfig(epochs=10))
        >>> det.fit(split.train)
        >>> det.predict(split.test)  # 0/1 per record
    """

    default_model = BiGANConfig

    def __init__(self, preprocessor=None, model: BiGANConfig | None = None,
                 train: TrainConfig | None = None, score: ScoreConfig | None = None,
                 contamination: float = 0.01, restarts: int = 1,
                 threshold_sample: int | None = None, jit_compile: bool = False):
        super().__init__(preprocessor, model, train, contamination, restarts, threshold_sample,
                         jit_compile)
        self.score_config = score or ScoreConfig()

    @classmethod
    def for_kdd99(cls, recipe: str = "stable", **recipe_kwargs) -> "BiGANDetector":
        """A KDD99 detector (raw records in) built from a named recipe.

        ``"stable"`` is the library default; ``for_kdd99("faithful", scaling="none")``
        is the EGBAD paper's code as published (see :mod:`tfgan_ad.recipes`).
        """
        from tfgan_ad import recipes
        from tfgan_ad.preprocessing import KDDPreprocessor
        r = recipes.get(recipe, **recipe_kwargs)
        return cls(KDDPreprocessor(r.scaling), model=r.model, train=r.train, score=r.score,
                   contamination=r.contamination, restarts=r.restarts)

    def _build_gan(self):
        return BiGAN(self.model_config)

    def score_settings(self):
        return self.score_config

    def _batched(self, name: str, fn, features) -> dict:
        """``fn`` (compiled once per name and score config) over ``features`` in
        batches of SCORE_BATCH, with the EMA weights; its outputs concatenated."""
        return self._run_batched(  # the config may be reassigned
            (name, self.score_config), lambda: tf.function(
                fn, jit_compile=self.jit_compile,
                input_signature=[tf.TensorSpec([None, *self.feature_shape], tf.float32)]),
            features, SCORE_BATCH)

    def _components(self, features) -> dict:
        gan, cfg = self.gan, self.score_config
        return self._batched("components", lambda x: egbad_components(
            gan.encoder, gan.generator, gan.discriminator, x, cfg.degree, cfg.sigma_pair),
            features)

    def networks(self) -> dict:
        g = self.gan
        return {"encoder": g.encoder, "generator": g.generator, "discriminator": g.discriminator}

    def graph_score(self, features):
        g = self.gan
        return egbad_score(g.encoder, g.generator, g.discriminator, features, self.score_config)

    def score_components(self, X) -> dict:
        """``{"l_g", "l_d_sigma", "l_d_fm"}`` per row, with the EMA weights."""
        return self._components(self.features(X))

    def _scores_from_features(self, features) -> np.ndarray:
        # only what the score needs (egbad_score), not every component
        return self._batched("score", lambda x: {"score": self.graph_score(x)},
                             features)["score"]


class AnoGANDetector(Detector):
    """AnoGAN: a plain GAN, scored by a per-sample latent search (see :mod:`scoring.anogan`).

    Args:
        search: :class:`AnoGANSearchConfig` (steps, schedule, λ, σ or FM, α).
        search_batch: rows searched together (each row has its own z either way).
        search_seed: seed of the starting codes.
    """

    default_model = GANConfig

    def __init__(self, preprocessor=None, model: GANConfig | None = None,
                 train: TrainConfig | None = None, search: AnoGANSearchConfig | None = None,
                 contamination: float = 0.01, search_batch: int = 4096, search_seed: int = 0,
                 restarts: int = 1, threshold_sample: int | None = None,
                 jit_compile: bool = False):
        super().__init__(preprocessor, model, train, contamination, restarts, threshold_sample,
                         jit_compile)
        self.search_config = search or AnoGANSearchConfig()
        self.search_batch, self.search_seed = search_batch, search_seed

    def _build_gan(self):
        return GAN(self.model_config)

    def score_settings(self):
        return (self.search_config, self.search_seed)

    def search(self, features) -> dict:
        """The full :func:`anogan_search` result per row, with the EMA weights."""
        cfg, seed = self.search_config, self.search_seed
        return self._run_batched(("anogan", cfg, seed), lambda: make_anogan_scorer(
            self.gan.generator, self.gan.discriminator, cfg, seed,
            jit_compile=self.jit_compile), features, self.search_batch)

    def _scores_from_features(self, features) -> np.ndarray:
        return self.search(features)["score"]

    def networks(self) -> dict:
        return {"generator": self.gan.generator, "discriminator": self.gan.discriminator}

    def graph_score(self, features):
        return anogan_search(self.gan.generator, self.gan.discriminator, features,
                             self.search_config, self.search_seed)["score"]


class ADGANDetector(Detector):
    """ADGAN: a WGAN-GP generator, scored by the joint search over z and θ (:mod:`scoring.adgan`).

    Args:
        search: :class:`ADGANSearchConfig` (seeds, steps, learning rates, shared θ,
            the starts' seed).
        search_batch: rows per scorer call; inside a call ``points_per_call`` points
            are searched at once (``None``: as many as fit in 2 GB).

    Example:
        >>> det = ADGANDetector(train=TrainConfig(epochs=70, batch_size=64))
        >>> det.fit(x_train)  # [N, 28, 28, 1] in [-1, 1], one class
        >>> det.score_samples(x_test)
    """

    default_model = WGANGPConfig

    def __init__(self, preprocessor=None, model: WGANGPConfig | None = None,
                 train: TrainConfig | None = None, search: ADGANSearchConfig | None = None,
                 contamination: float = 0.01, search_batch: int = 64,
                 points_per_call: int | None = None, restarts: int = 1,
                 threshold_sample: int | None = 64, jit_compile: bool = False):
        super().__init__(preprocessor, model, train, contamination, restarts, threshold_sample,
                         jit_compile)
        if search_batch < 1:
            raise ValueError(f"search_batch must be >= 1, got {search_batch}")
        if points_per_call is not None and points_per_call < 1:
            raise ValueError(f"points_per_call must be >= 1 or None, got {points_per_call}")
        self.search_config = search or ADGANSearchConfig()
        self.search_batch, self.points_per_call = search_batch, points_per_call

    def _build_gan(self):
        return WGANGP(self.model_config)

    def score_settings(self):
        return self.search_config

    def search(self, features) -> dict:
        """The full :func:`adgan_search` result per row (score, per-seed losses)."""
        cfg, ppc = self.search_config, self.points_per_call
        return self._run_batched(("adgan", cfg, ppc), lambda: make_adgan_scorer(
            self.gan.generator, cfg, ppc, jit_compile=self.jit_compile), features,
            self.search_batch)

    def _scores_from_features(self, features) -> np.ndarray:
        return self.search(features)["score"]

    def networks(self) -> dict:
        return {"generator": self.gan.generator}

    def graph_score(self, features):
        ppc = self.points_per_call or 1
        return adgan_search_chunked(self.gan.generator, features, self.search_config, ppc)["score"]
