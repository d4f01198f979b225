import numpy as np
import pytest

from tfgan_ad import metrics
from tfgan_ad.data.kdd99 import parse_rows
from tfgan_ad.detector import BiGANDetector
from tfgan_ad.preprocessing import KDDPreprocessor
from tfgan_ad.scoring.egbad import ScoreConfig
from tfgan_ad.training.bigan import BiGANConfig
from tfgan_ad.training.trainer import TrainConfig

ROW = ("0,tcp,http,SF,181,5450,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,8,8,0.00,0.00,0.00,0.00,"
       "1.00,0.00,0.00,9,9,1.00,0.00,0.11,0.00,0.00,0.00,0.00,0.00").split(",")


def synthetic(n, rng):
    """Normal rows on a 2-D plane inside 8-D; anomalies off it."""
    basis = np.linspace(-1, 1, 16).reshape(2, 8)
    normal = rng.normal(size=(n, 2)) @ basis + 0.05 * rng.normal(size=(n, 8))
    anomalous = rng.normal(size=(n // 10, 8)) * 1.5
    return normal.astype(np.float32), anomalous.astype(np.float32)


def small_detector(epochs: int, seed: int, **kwargs) -> BiGANDetector:
    """A BiGAN detector sized for the 8-feature synthetic data."""
    return BiGANDetector(
        model=BiGANConfig(n_features=8, latent_dim=2, learning_rate=1e-3, ema_decay=0.99),
        train=TrainConfig(epochs=epochs, batch_size=50, seed=seed, progress=False), **kwargs)


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    train, _ = synthetic(2000, rng)
    return small_detector(20, 0, contamination=0.05).fit(train)


@pytest.mark.parametrize("variant", ["sigma", "fm"])
def test_short_training_separates_easy_anomalies(fitted, variant):
    normal, anomalous = synthetic(1000, np.random.default_rng(1))
    fitted.score_config = ScoreConfig(variant=variant)
    x = np.concatenate([normal, anomalous])
    y = np.r_[np.zeros(len(normal)), np.ones(len(anomalous))]
    assert metrics.roc_auc(y, fitted.decision_function(x)) > 0.95
    fitted.score_config = ScoreConfig()


def test_threshold_from_training_and_predict(fitted):
    assert np.mean(fitted.decision_scores_ >= fitted.threshold_) == pytest.approx(0.05, abs=0.01)
    normal, anomalous = synthetic(1000, np.random.default_rng(2))
    assert fitted.predict(normal).mean() < 0.15
    assert fitted.predict(anomalous).mean() > 0.8
    assert set(np.unique(fitted.predict(normal))) <= {0, 1}


def test_bad_inputs_give_clear_errors(fitted):
    with pytest.raises(ValueError, match=r"shape \(N, 8\)"):
        fitted.score_samples(np.zeros((3, 7), np.float32))
    x = np.zeros((3, 8), np.float32)
    x[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"NaN or infinite values in rows \[1\]"):
        fitted.score_samples(x)
    with pytest.raises(TypeError, match="numeric"):
        fitted.score_samples(np.array([["a"] * 8]))
    with pytest.raises(ValueError, match="empty"):
        fitted.score_samples(np.zeros((0, 8), np.float32))
    with pytest.raises(RuntimeError, match="not fitted"):
        BiGANDetector().score_samples(np.zeros((1, 121), np.float32))
    with pytest.raises(ValueError, match="contamination"):
        BiGANDetector(contamination=0.0)


@pytest.mark.parametrize("value", [0.9, 0.0, -0.5, float("nan")])
def test_contamination_set_after_fit_is_checked_by_set_threshold(fitted, value):
    """The constructor refused these, but assigned later set_threshold took 0.9 (90% of
    training rows flagged) and 0.0, or failed in numpy's quantile for -0.5 and NaN."""
    import copy
    det = copy.copy(fitted)
    det.contamination = value
    with pytest.raises(ValueError, match=r"^contamination must be a number in \(0, 0\.5\), "
                                         rf"got {value}$"):
        det.set_threshold(np.zeros((20, 8), np.float32))


def test_raw_record_errors_through_preprocessor(fitted):
    det = BiGANDetector(KDDPreprocessor("none"))
    det.gan = fitted.gan  # only the features path matters here
    bad = list(ROW)
    bad[2] = "not_a_service"
    with pytest.raises(ValueError, match=r"(?s)unknown category.*service"):
        det.features(parse_rows([bad], with_label=False))
    x = det.features(parse_rows([ROW], with_label=False))
    assert x.shape == (1, 121)


def test_restarts_keep_the_lowest_training_q90():
    rng = np.random.default_rng(0)
    train, _ = synthetic(600, rng)
    det = small_detector(2, 4, restarts=2)
    det.fit(train)
    report = det.restarts_
    assert [r["seed"] for r in report] == [4, 1004]
    kept = [r for r in report if r["kept"]]
    assert len(kept) == 1 and kept[0]["train_score_q90"] == min(r["train_score_q90"] for r in report)
    assert np.quantile(det.decision_scores_, 0.9) == pytest.approx(kept[0]["train_score_q90"])
    np.testing.assert_allclose(det.score_samples(train), det.decision_scores_, rtol=1e-5)


def test_for_kdd99_builds_the_named_recipes():
    from tfgan_ad import recipes
    stable = BiGANDetector.for_kdd99()
    r = recipes.get("stable")
    assert stable.preprocessor.scaling == r.scaling == "log_minmax"
    assert stable.model_config == r.model and stable.restarts == r.restarts == 3
    assert stable.contamination == r.contamination and stable.train_config.epochs == 10
    faithful = BiGANDetector.for_kdd99("faithful", scaling="minmax")
    assert faithful.preprocessor.scaling == "minmax"
    assert faithful.model_config.learning_rate == 1e-5 and faithful.train_config.epochs == 50
    with pytest.raises(ValueError, match="unknown recipe"):
        BiGANDetector.for_kdd99("best")


def test_threshold_sample_scores_a_seeded_subset_of_training_rows():
    rng = np.random.default_rng(0)
    train, _ = synthetic(600, rng)
    det = small_detector(1, 3, threshold_sample=100)
    det.fit(train)
    assert len(det.decision_scores_) == 100
    all_scores = det.score_samples(train)
    # the sampled rows are real training rows, scored exactly as score_samples scores them
    pick = np.sort(np.random.default_rng([3, 7]).choice(600, 100, replace=False))
    np.testing.assert_allclose(det.decision_scores_, all_scores[pick], rtol=1e-5)
    assert det.threshold_ == metrics.contamination_threshold(all_scores[pick], det.contamination)
    with pytest.raises(ValueError, match="threshold_sample"):
        BiGANDetector(threshold_sample=0)


def test_xla_scoring_matches_graph_scoring(fitted):
    """Detector(jit_compile=True) compiles its scorer with XLA: same scores, to rounding."""
    x, _ = synthetic(500, np.random.default_rng(3))
    plain = fitted.decision_function(x)
    fitted.jit_compile = True
    try:
        xla = fitted.decision_function(x)
        assert any(key[-1] for key in fitted._compiled)  # an XLA function was built
    finally:
        fitted.jit_compile = False
    np.testing.assert_allclose(xla, plain, rtol=1e-4, atol=1e-5)


def test_scores_equal_the_combined_components(fitted):
    """The lean scorer (only what the variant needs) equals α·L_G + (1 − α)·L_D."""
    from tfgan_ad.scoring.egbad import combine
    x, _ = synthetic(300, np.random.default_rng(4))
    parts = fitted.score_components(x)
    for variant in ("sigma", "fm"):
        fitted.score_config = ScoreConfig(variant=variant)
        np.testing.assert_allclose(fitted.decision_function(x),
                                   combine(parts, variant, fitted.score_config.alpha),
                                   rtol=1e-5, atol=1e-6)
    fitted.score_config = ScoreConfig()


def test_a_failed_refit_leaves_the_detector_unfitted_not_mixed():
    """fit refits the preprocessing first: a fit failing later must not leave the new
    scaling paired with the old networks and threshold (silently different decisions)."""
    from tfgan_ad.training.trainer import TrainConfig as TC
    def records(n, scale):
        return parse_rows([ROW[:4] + [str(scale * i)] + ROW[5:] for i in range(n)],
                          with_label=False)
    train = records(60, 10)
    det = BiGANDetector(KDDPreprocessor("log_minmax"),
                        train=TC(epochs=1, batch_size=50, progress=False)).fit(train)
    before = det.decision_function(train), det.threshold_
    with pytest.raises(ValueError, match=r"need at least batch_size=50 training rows, got 10"):
        det.fit(records(10, 10))  # refused before anything changes
    np.testing.assert_array_equal(det.decision_function(train), before[0])
    assert det.threshold_ == before[1]
    other = records(60, 99999)
    det.model_config.check_range = lambda *a, **k: (_ for _ in ()).throw(  # fail mid-fit
        ValueError("simulated failure after the preprocessing was refitted"))
    with pytest.raises(ValueError, match="simulated failure"):
        det.fit(other)
    del det.model_config.check_range
    for call in (det.predict, det.decision_function):
        with pytest.raises(RuntimeError, match="its last fit failed"):
            call(train)


def test_changing_the_score_after_fit_needs_a_new_threshold(fitted):
    """threshold_ holds for the score it was set with: predict (and export) refuse to
    pair it with another score; set_threshold sets it for the current settings."""
    x, _ = synthetic(300, np.random.default_rng(5))
    old = fitted.threshold_
    try:
        fitted.score_config = ScoreConfig(variant="fm")
        with pytest.raises(ValueError, match=r"threshold_ was set for the score settings "
                                             r"ScoreConfig\(.*sigma.*set_threshold"):
            fitted.predict(x)
        assert fitted.decision_function(x).shape == (300,)  # scores need no threshold
        train, _ = synthetic(2000, np.random.default_rng(0))
        fitted.set_threshold(train)
        fm = fitted.threshold_
        assert fm != old
        assert np.mean(fitted.decision_scores_ >= fm) <= 0.05 + 1e-9
        assert fitted.predict(x).shape == (300,)
    finally:
        fitted.score_config = ScoreConfig()
        fitted.set_threshold(synthetic(2000, np.random.default_rng(0))[0])
    assert fitted.threshold_ == pytest.approx(old)


def test_changing_contamination_after_fit_needs_a_new_threshold(fitted):
    """threshold_ is the (1 - contamination) point of the training scores: a new
    contamination must not silently keep the old threshold."""
    x, _ = synthetic(300, np.random.default_rng(5))
    old, old_c = fitted.threshold_, fitted.contamination
    train = synthetic(2000, np.random.default_rng(0))[0]
    try:
        fitted.contamination = 0.2
        with pytest.raises(ValueError, match=r"threshold_ was set for contamination "
                                             r"0\.0\d*, but it is now 0.2"):
            fitted.predict(x)
        fitted.set_threshold(train)
        assert fitted.threshold_ < old
        assert fitted.predict(x).shape == (300,)
    finally:
        fitted.contamination = old_c
        fitted.set_threshold(train)
    assert fitted.threshold_ == pytest.approx(old)


@pytest.mark.parametrize("field, value", [("epochs", 0), ("epochs", -1), ("epochs", 0.5),
                                          ("batch_size", 0), ("steps_per_call", 0),
                                          ("checkpoint_every", True)])
def test_train_config_counts_are_whole_numbers_from_1(field, value):
    with pytest.raises(ValueError, match=rf"{field} must be an integer >= 1, got {value!r}"):
        TrainConfig(**{field: value})


@pytest.mark.parametrize("bad, message", [(5, r"features must have shape \(N, 8\), got shape \(\)"),
                                          (None, "features must be numeric")])
def test_fit_names_bad_feature_input_before_counting_rows(bad, message):
    with pytest.raises((TypeError, ValueError), match=message):
        small_detector(1, 0).fit(bad)
