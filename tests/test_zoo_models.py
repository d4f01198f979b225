"""The zoo models committed in this repository: integrity, card metrics, serving parity."""

import os

import numpy as np
import pytest

from tfgan_ad import metrics, zoo
from tfgan_ad.data.kdd99 import paper_split
from tfgan_ad.data.mnist import egbad_split, load_mnist, to_pixels
from serving_helpers import plain_tf_serving_default

KDD_MODELS = ["bigan_kdd99", "anogan_kdd99"]
MNIST_MODELS = [f"bigan_mnist_{d}" for d in (0, 1, 2)]
ADGAN_MODELS = ["adgan_mnist_0"]
# AnoGAN searches 500 steps per row: its full 247,011-row check is opt-in
FULL_TEST_KDD = [pytest.param(m, marks=pytest.mark.slow) if m.startswith("anogan") else m
                 for m in KDD_MODELS]


@pytest.fixture(autouse=True)
def repo_zoo(monkeypatch):
    monkeypatch.delenv("TFGAN_AD_ZOO", raising=False)


def test_registered_models_are_listed():
    assert set(KDD_MODELS + MNIST_MODELS + ADGAN_MODELS) <= set(zoo.list())


def test_saved_models_within_size_budget():
    assert zoo.size_bytes(zoo.root() / "saved_models") <= zoo.SIZE_BUDGET_BYTES


@pytest.mark.parametrize("name", KDD_MODELS)
def test_card_first_rows_reproduce(name, kdd_records):
    """Fast check of every KDD model: the first 2,000 test rows of its card's split."""
    model = zoo.load(name)
    card = model.metadata
    split = paper_split(kdd_records, card["seed"])
    first = split.test.take(slice(0, 2000))
    scores = model.score(first)
    assert np.all(np.isfinite(scores))
    want = card["metrics"]["first_2000_test_rows"]
    assert metrics.auprc(first.is_anomaly, scores) == pytest.approx(want["auprc"], abs=1e-4)
    assert float(np.mean(scores)) == pytest.approx(want["mean_score"], rel=1e-4)


@pytest.mark.parametrize("name", FULL_TEST_KDD)
def test_card_metrics_reproduce_on_the_paper_protocol(name, kdd_records):
    model = zoo.load(name)
    card = model.metadata
    for key in ("paper", "dataset", "protocol", "preprocessing", "recipe", "seed", "threshold",
                "threshold_rule", "library_versions", "metrics"):
        assert key in card, key
    split = paper_split(kdd_records, card["seed"])
    scores = model.score(split.test)
    f1 = metrics.prf_top_fraction(split.y_test, scores, 0.2)["f1"]
    assert f1 >= 0.92
    assert abs(f1 - card["metrics"]["test_top20"]["f1"]) <= 0.01
    fixed = metrics.prf_at_threshold(split.y_test, scores, model.threshold)["f1"]
    assert abs(fixed - card["metrics"]["stored_threshold"]["f1"]) <= 0.01


@pytest.mark.parametrize("name", KDD_MODELS)
def test_plain_tensorflow_process_matches_zoo(name, tmp_path):
    import gzip
    from itertools import islice
    with gzip.open(os.path.join(os.environ["TFGAN_AD_DATA"], "kddcup99",
                                "kddcup.data_10_percent.gz"), "rt") as f:
        lines = [ln.strip() for ln in islice(f, 0, 20000, 97)]  # labelled lines: 42 fields
    model = zoo.load(name)
    out = plain_tf_serving_default(model.directory, lines, tmp_path)
    assert out["imported_tfgan_ad"] is False
    np.testing.assert_allclose(out["score"], model.score(lines), rtol=1e-5, atol=1e-5)


@pytest.fixture(scope="module")
def mnist_pool():
    return load_mnist(download=False)


@pytest.mark.parametrize("name", MNIST_MODELS)
def test_mnist_card_auprc_reproduces_from_raw_pixels(name, mnist_pool):
    model = zoo.load(name)
    card = model.metadata
    digit = int(name.rsplit("_", 1)[1])
    split = egbad_split(*mnist_pool, digit, card["seed"])
    pixels = to_pixels(split.x_test)
    scores = model.score(pixels)
    assert metrics.auprc(split.y_test, scores) == pytest.approx(card["metrics"]["auprc"],
                                                               abs=1e-4)
    # the same images already scaled to [-1, 1] go through score_features
    np.testing.assert_allclose(model.score(split.x_test[:300]), scores[:300],
                               rtol=1e-4, atol=1e-4)


def test_mnist_bad_images_are_named(mnist_pool):
    model = zoo.load(MNIST_MODELS[0])
    with pytest.raises(ValueError, match="uint8"):
        model.score(np.zeros((2, 28, 27), np.uint8))
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        model.score(np.full((2, 28, 28, 1), 255.0, np.float32))
    with pytest.raises(ValueError, match="NaN"):
        bad = np.zeros((2, 28, 28, 1), np.float32)
        bad[1, 3, 3, 0] = np.nan
        model.score(bad)


@pytest.mark.parametrize("name", MNIST_MODELS[:1])
def test_plain_tensorflow_process_scores_pixels_like_zoo(name, mnist_pool, tmp_path):
    pixels = mnist_pool[0][:64]
    model = zoo.load(name)
    out = plain_tf_serving_default(model.directory, pixels, tmp_path, "pixels", "uint8")
    assert out["imported_tfgan_ad"] is False
    np.testing.assert_allclose(out["score"], model.score(pixels), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", KDD_MODELS + MNIST_MODELS[:1] + ADGAN_MODELS)
def test_saved_model_cli_lists_the_signatures(name):
    import shutil
    import subprocess
    model_dir = zoo.verify(name)
    show = subprocess.run([shutil.which("saved_model_cli"), "show", "--dir", str(model_dir),
                           "--all"], capture_output=True, text=True, timeout=300)
    assert show.returncode == 0, show.stderr[-2000:]
    sigs = (("serving_default", "score_pixels", "score_features") if "mnist" in name
            else ("serving_default", "score_records", "score_features"))
    for sig in sigs:
        assert f"signature_def['{sig}']" in show.stdout


def _adgan_sample(name):
    from tfgan_ad.data.mnist import load_mnist_files, one_vs_all_split, train_test_files
    from tfgan_ad.runs.one_vs_all import OneVsAllRun, search_sample
    model = zoo.load(name)
    card = model.metadata
    run = OneVsAllRun(**{k: tuple(v) if isinstance(v, list) else v
                         for k, v in card["run"].items()})
    split = one_vs_all_split(*train_test_files(load_mnist_files(download=False)),
                             int(name.rsplit("_", 1)[1]), card["seed"], n_test=run.n_test)
    idx = search_sample(split, run.search_sample)
    return model, card, split.x_test[idx], split.y_test[idx]


@pytest.mark.parametrize("name", ADGAN_MODELS)
def test_adgan_card_first_scores_reproduce_from_raw_pixels(name):
    model, card, x, _ = _adgan_sample(name)
    first = card["metrics"]["first_scores"]
    np.testing.assert_allclose(model.score(to_pixels(x[:len(first)])), first, rtol=1e-4)
    assert card["metrics"]["scores_match_experiment"] is True
    assert "critic" not in " ".join(zoo.registry(name)["files"])


@pytest.mark.slow
@pytest.mark.parametrize("name", ADGAN_MODELS)
def test_adgan_card_roc_auc_reproduces(name):
    model, card, x, y = _adgan_sample(name)
    assert metrics.roc_auc(y, model.score(to_pixels(x))) == pytest.approx(
        card["metrics"]["roc_auc"], abs=1e-4)
