"""The zoo models committed in this repository: integrity, card metrics, serving parity."""

import os

import numpy as np
import pytest

from tfgan_ad import metrics, zoo
from tfgan_ad.data.kdd99 import paper_split
from serving_helpers import plain_tf_serving_default

KDD_MODELS = ["bigan_kdd99"]


@pytest.fixture(autouse=True)
def repo_zoo(monkeypatch):
    monkeypatch.delenv("TFGAN_AD_ZOO", raising=False)


def test_registered_models_are_listed():
    assert set(KDD_MODELS) <= set(zoo.list())


def test_saved_models_within_size_budget():
    total = sum(p.stat().st_size for p in (zoo.root() / "saved_models").rglob("*") if p.is_file())
    assert total <= 150 * 1024 * 1024


@pytest.mark.parametrize("name", KDD_MODELS)
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


@pytest.mark.parametrize("name", KDD_MODELS)
def test_saved_model_cli_lists_the_signatures(name):
    import shutil
    import subprocess
    model_dir = zoo.verify(name)
    show = subprocess.run([shutil.which("saved_model_cli"), "show", "--dir", str(model_dir),
                           "--all"], capture_output=True, text=True, timeout=300)
    assert show.returncode == 0, show.stderr[-2000:]
    for sig in ("serving_default", "score_records", "score_features"):
        assert f"signature_def['{sig}']" in show.stdout
