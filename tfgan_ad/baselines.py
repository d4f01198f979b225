"""Classical detectors run beside the GANs in every results table (scikit-learn).

Each baseline is fitted on training features only and returns anomaly scores
(higher = more anomalous) for the rows it is given.
"""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.neighbors import KernelDensity
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


class KDEDetector:
    """Gaussian KDE; bandwidth by 10-fold cross-validated log-likelihood over
    h ∈ {2^0, 2^0.5, …, 2^4} (ADGAN §4.2). Score: −log density."""

    BANDWIDTHS = tuple(2.0 ** (k / 2) for k in range(9))

    def __init__(self, seed: int = 0, folds: int = 10):
        self.seed, self.folds = seed, folds
        self.name = "kde"

    def fit(self, x):
        cv = KFold(self.folds, shuffle=True, random_state=self.seed)
        search = GridSearchCV(KernelDensity(kernel="gaussian"),
                              {"bandwidth": list(self.BANDWIDTHS)}, cv=cv).fit(x)
        self.model, self.bandwidth_ = search.best_estimator_, search.best_params_["bandwidth"]
        self.cv_log_likelihood_ = search.cv_results_["mean_test_score"]  # per bandwidth
        return self

    def score_samples(self, x):
        return -self.model.score_samples(x)


class GMMDetector:
    """Gaussian mixture, 2-20 components chosen by BIC (ADGAN §4.2). Score: −log density."""

    def __init__(self, seed: int = 0, components=range(2, 21)):
        self.seed, self.components = seed, tuple(components)
        self.name = "gmm"

    def fit(self, x):
        best = None
        for k in self.components:
            if k > len(x):
                break
            gmm = GaussianMixture(k, covariance_type="full", reg_covar=1e-4,
                                  random_state=self.seed).fit(x)
            bic = gmm.bic(x)
            if best is None or bic < best[0]:
                best = (bic, gmm)
        self.model = best[1]
        self.n_components_ = self.model.n_components
        return self

    def score_samples(self, x):
        return -self.model.score_samples(x)


class OnPCA:
    """A detector on PCA features (fitted on the training rows), the input flattened."""

    def __init__(self, detector, n_components: int, seed: int = 0):
        self.detector, self.n_components, self.seed = detector, n_components, seed
        self.name = f"{detector.name}_pca{n_components}"

    def _flat(self, x):
        return np.asarray(x, np.float64).reshape(len(x), -1)

    def fit(self, x):
        self.pca = PCA(self.n_components, random_state=self.seed).fit(self._flat(x))
        self.detector.fit(self.pca.transform(self._flat(x)))
        return self

    def score_samples(self, x):
        return self.detector.score_samples(self.pca.transform(self._flat(x)))


def fit_on_best_pca(make_detector, x_train, x_holdout, y_holdout, dims, seed: int = 0):
    """ADGAN §4.2's baseline protocol: fit ``make_detector()`` on PCA features of every
    dimension in ``dims`` and keep the one with the best ROC-AUC on the labelled
    holdout set (training-set digits, never test data).

    Returns (fitted :class:`OnPCA`, {dimension: holdout ROC-AUC}).
    """
    best, holdout_auc = None, {}
    for d in dims:
        det = OnPCA(make_detector(), d, seed).fit(x_train)
        holdout_auc[d] = float(roc_auc_score(y_holdout, det.score_samples(x_holdout)))
        if best is None or holdout_auc[d] > holdout_auc[best.n_components]:
            best = det
    return best, holdout_auc


def _subsample(x, n, seed):
    if len(x) <= n:
        return x
    return x[np.random.default_rng(seed).choice(len(x), n, replace=False)]


def kdd_baselines(seed: int = 0):
    return [PCAReconstruction(k, seed=seed) for k in (5, 10, 20)] + [
        IsolationForestDetector(seed), OCSVMDetector(seed=seed)]
