"""The training-set-size study: its subsets and its report (no training here)."""

import numpy as np
import pytest

from tfgan_ad import baselines
from tfgan_ad.data.mnist import OneVsAllSplit
from tfgan_ad.runs import data_size, one_vs_all
from tfgan_ad.runs.one_vs_all import OneVsAllRun
from tfgan_ad.runs.results import ResultStore


def _split(n=101, c=3, seed=0):
    x = np.arange(n, dtype=np.float32).reshape(n, 1, 1, 1) * np.ones((1, 28, 28, 1), np.float32)
    empty = np.zeros((0,), np.int64)
    return OneVsAllSplit(x_train=x, x_holdout=x[:0], y_holdout=empty, x_test=x[:0],
                         y_test=empty, digits_test=empty, normal_class=c, seed=seed)


def test_fraction_split_is_a_seeded_subset_of_the_training_digits():
    split = _split()
    half = data_size.fraction_split(split, 0.5)
    rows = half.x_train[:, 0, 0, 0]
    assert len(rows) == 50 and len(set(rows)) == 50 and set(rows) <= set(range(101))
    np.testing.assert_array_equal(data_size.fraction_split(split, 0.5).x_train, half.x_train)
    other = data_size.fraction_split(_split(c=4), 0.5).x_train[:, 0, 0, 0]
    assert not np.array_equal(rows, other)  # each job draws its own subset
    assert len(data_size.fraction_split(split, 1.0).x_train) == 101
    for bad in (0.0, -0.5, 1.5):
        with pytest.raises(ValueError, match="fraction"):
            data_size.fraction_split(split, bad)


def _rec(method, c, f, auc, **kw):
    return {"experiment": "data_size", "normal_class": c, "seed": 0, "fraction": f,
            "n_scored": 120, "n_train": int(900 * f), "method": method, "roc_auc": auc, **kw}


def test_report_takes_only_the_runs_search_beta_1():
    """Records of another search β₁ (validation and data-size alike) are not the run's."""
    base = OneVsAllRun(adgan_beta_1=0.9, wgan_lr=1e-4)
    search = {"learning_rate": base.adgan_z_lr, "theta_learning_rate": 1e-5}
    val = [{"experiment": "adgan_holdout", "normal_class": 0, "seed": 0, "n_scored": 120,
            "generator_steps": base.wgan_steps + 2, "roc_auc": auc,
            "search": {**search, "beta_1": b}} for b, auc in ((0.9, 0.8), (0.5, 0.6))]
    recs = [_rec("adgan", 0, 0.5, auc, wgan_steps=base.wgan_steps, adgan_z_lr=base.adgan_z_lr,
                 search={**search, "beta_1": b}) for b, auc in ((0.9, 0.7), (0.5, 0.3))]
    recs += [_rec(m, 0, f, 0.9) for m in data_size.BASELINES for f in (0.5, 1.0)]
    for beta_1, half, full in ((0.9, "0.7000", "0.8000"), (0.5, "0.3000", "0.6000")):
        md = data_size.markdown(recs, val, base.replace_given(adgan_beta_1=beta_1))
        assert f"search Adam β₁ {beta_1:g}" in md
        assert f"| 0 | 0 | 0.5 | 450 | {half} | 0.9000 | 0.9000 |" in md
        assert f"| 0 | 0 | 1 | 900 | {full} | 0.9000 | 0.9000 |" in md


def test_report_takes_fraction_one_from_the_validation_study_and_averages_complete_jobs():
    run = OneVsAllRun(adgan_beta_1=0.9, wgan_lr=1e-4)  # the records name neither
    adgan = dict(wgan_steps=run.wgan_steps, adgan_z_lr=run.adgan_z_lr)
    recs = [_rec("adgan", c, 0.5, 0.7 + 0.1 * c, **adgan) for c in (0, 1)]
    recs += [_rec("adgan", 0, 0.5, 0.1, wgan_steps=run.wgan_steps + 1000,
                  adgan_z_lr=run.adgan_z_lr)]  # another length: not this run's row
    recs += [_rec(m, c, f, 0.9) for m in data_size.BASELINES for c in (0, 1, 2) for f in (0.5, 1.0)]
    val = [{"experiment": "adgan_holdout", "normal_class": c, "seed": 0, "n_scored": 120,
            "generator_steps": run.wgan_steps + 2, "roc_auc": 0.8 + 0.1 * c,
            "search": {"learning_rate": run.adgan_z_lr, "theta_learning_rate": 1e-5}}
           for c in (0, 1, 2)]
    val.append({**val[0], "roc_auc": 0.1, "search": {"learning_rate": 1.0,
                                                      "theta_learning_rate": 1e-5}})
    md = data_size.markdown(recs, val, run)
    assert "| 0 | 0 | 0.5 | 450 | 0.7000 | 0.9000 | 0.9000 |" in md
    assert "| 0 | 0 | 1 | 900 | 0.8000 | 0.9000 | 0.9000 |" in md
    assert "| 2 | 0 | 0.5 | 450 | — | 0.9000 | 0.9000 |" in md  # ADGAN not run there
    mean = md.split("Mean over the jobs")[1]
    assert "class 0 seed 0, class 1 seed 0)" in mean and "class 2" not in mean
    assert "| 0.5 | 0.7500 | 0.9000 | 0.9000 |" in mean
    assert "| 1 | 0.8500 | 0.9000 | 0.9000 |" in mean


def test_nested_fractions():
    split = _split(n=200)
    rows = {f: set(data_size.fraction_split(split, f).x_train[:, 0, 0, 0]) for f in (0.25, 0.5, 1)}
    assert rows[0.25] < rows[0.5] < rows[1]


def test_baselines_choose_on_other_holdout_items_than_they_are_scored_on(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    train = (rng.integers(0, 256, (1200, 28, 28), dtype=np.uint8), np.repeat(np.arange(10), 120))
    test = (rng.integers(0, 256, (100, 28, 28), dtype=np.uint8), np.repeat(np.arange(10), 10))
    run = OneVsAllRun(n_test=50, pca_dims=(2,))
    chosen_on = []
    real = baselines.fit_on_best_pca

    def spy(make, x_train, x_holdout, y_holdout, dims, seed):
        chosen_on.append(x_holdout)
        return real(make, x_train, x_holdout, y_holdout, dims, seed)

    monkeypatch.setattr(baselines, "fit_on_best_pca", spy)
    store = ResultStore(tmp_path / "d.json")
    new = data_size.run_fraction(run, (train, test), 3, 0, 1.0, 20, tmp_path, store)
    assert {r["method"] for r in new} == set(data_size.BASELINES)  # no ADGAN at fraction 1
    assert all(r["n_train"] == 108 and r["fraction"] == 1.0 for r in new)
    split = data_size.one_vs_all_split(train, test, 3, 0, n_test=50)
    scored = split.x_holdout[one_vs_all.holdout_sample(split, 20)]
    assert len(chosen_on) == 2
    for x in chosen_on:
        assert len(x) == len(split.x_holdout) - 20
        assert not {a.tobytes() for a in x} & {a.tobytes() for a in scored}
    assert data_size.run_fraction(run, (train, test), 3, 0, 1.0, 20, tmp_path, store) == []
    with pytest.raises(ValueError, match="fewer than one WGAN-GP batch"):
        data_size.run_fraction(run, (train, test), 3, 0, 0.25, 20, tmp_path, store)
