"""Classical detectors run beside the GANs in every results table (scikit-learn).

Each baseline is fitted on training features only and returns anomaly scores
(higher = more anomalous) for the rows it is given.
"""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.svm import OneClassSVM


class PCAReconstruction:
    """L1 error of the PCA reconstruction (PROTOCOLS.md: fit on 50,000 training rows)."""

    def __init__(self, n_components: int, max_fit_rows: int = 50_000, seed: int = 0):
        self.n_components, self.max_fit_rows, self.seed = n_components, max_fit_rows, seed

    @property
    def name(self) -> str:
        return f"pca{self.n_components}_l1"

    def fit(self, x):
        x = _subsample(x, self.max_fit_rows, self.seed)
        self.pca = PCA(self.n_components, random_state=self.seed).fit(x)
        return self

    def score_samples(self, x):
        rec = self.pca.inverse_transform(self.pca.transform(x))
        return np.abs(x - rec).sum(axis=1)


class IsolationForestDetector:
    def __init__(self, seed: int = 0):
        self.seed = seed
        self.name = "isolation_forest"

    def fit(self, x):
        self.model = IsolationForest(n_estimators=100, random_state=self.seed).fit(x)
        return self

    def score_samples(self, x):
        return -self.model.score_samples(x)


class OCSVMDetector:
    """RBF one-class SVM, ν = 0.1, fitted on a random training subsample (it is O(n²))."""

    def __init__(self, max_fit_rows: int = 10_000, nu: float = 0.1, seed: int = 0):
        self.max_fit_rows, self.nu, self.seed = max_fit_rows, nu, seed
        self.name = "ocsvm"

    def fit(self, x):
        self.model = OneClassSVM(kernel="rbf", nu=self.nu, gamma="scale").fit(
            _subsample(x, self.max_fit_rows, self.seed))
        return self

    def score_samples(self, x):
        return -self.model.decision_function(x)


def _subsample(x, n, seed):
    if len(x) <= n:
        return x
    return x[np.random.default_rng(seed).choice(len(x), n, replace=False)]


def kdd_baselines(seed: int = 0):
    return [PCAReconstruction(k, seed=seed) for k in (5, 10, 20)] + [
        IsolationForestDetector(seed), OCSVMDetector(seed=seed)]
