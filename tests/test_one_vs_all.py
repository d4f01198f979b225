"""ADGAN's one-vs-all MNIST protocol: the split, the paper's baselines, the report."""

import json

import numpy as np
import pytest
import tensorflow as tf

from tfgan_ad import baselines
from tfgan_ad.data.mnist import load_mnist_files, one_vs_all_split, train_test_files
from tfgan_ad.runs import (
    flag_choices,
    one_vs_all,
    one_vs_all_report,
    require_checkpoint,
    share_theta_values,
)
from tfgan_ad.runs.results import ResultStore, machine, seed_interval


@pytest.fixture(scope="module")
def files():
    return train_test_files(load_mnist_files(download=False))


def test_split_trains_on_one_class_and_tests_on_test_set_items(files):
    (tr_img, tr_lab), (te_img, te_lab) = files
    s = one_vs_all_split(*files, 3, seed=0, n_test=500)
    n3 = int(np.sum(tr_lab == 3))
    assert len(s.x_train) + int(np.sum(s.y_holdout == 0)) == n3
    assert int(np.sum(s.y_holdout == 0)) == round(0.1 * n3)
    assert int(np.sum(s.y_holdout == 1)) == 400
    assert s.x_test.shape == (500, 28, 28, 1) and s.x_train.min() >= -1 and s.x_train.max() <= 1
    np.testing.assert_array_equal(s.y_test, (s.digits_test != 3).astype(int))
    # every training image is a training-set 3, every test image a test-set image
    train_set = {img.tobytes() for img in tr_img[tr_lab == 3]}
    from tfgan_ad.data.mnist import to_pixels
    assert all(p.tobytes() in train_set for p in to_pixels(s.x_train))
    test_set = {img.tobytes() for img in te_img}
    assert all(p.tobytes() in test_set for p in to_pixels(s.x_test))
    # no training image is also in the holdout set
    hold = {p.tobytes() for p in to_pixels(s.x_holdout)}
    assert not hold & {p.tobytes() for p in to_pixels(s.x_train)}


def test_split_is_seeded_and_validated(files):
    a = one_vs_all_split(*files, 1, seed=0, n_test=300)
    b = one_vs_all_split(*files, 1, seed=0, n_test=300)
    c = one_vs_all_split(*files, 1, seed=1, n_test=300)
    np.testing.assert_array_equal(a.x_test, b.x_test)
    assert not np.array_equal(a.digits_test, c.digits_test)
    with pytest.raises(ValueError, match="normal_class"):
        one_vs_all_split(*files, 10, seed=0)
    with pytest.raises(ValueError, match="n_test"):
        one_vs_all_split(*files, 1, seed=0, n_test=10**6)


def test_search_sample_is_balanced_and_seeded(files):
    s = one_vs_all_split(*files, 4, seed=2, n_test=1000)
    idx = one_vs_all.search_sample(s, 60)
    assert len(np.unique(idx)) == 60 and s.y_test[idx].sum() == 30
    np.testing.assert_array_equal(idx, one_vs_all.search_sample(s, 60))


def test_a_larger_search_sample_holds_the_base_sample(files):
    s = one_vs_all_split(*files, 3, seed=1, n_test=3000)
    base = one_vs_all.search_sample(s, one_vs_all.BASE_SAMPLE)
    # the base sample is the one every record before session 15 used
    rng = np.random.default_rng([1, 3, 13])
    old = np.sort(np.concatenate([rng.choice(np.flatnonzero(s.y_test == 0), 80, replace=False),
                                  rng.choice(np.flatnonzero(s.y_test == 1), 80, replace=False)]))
    np.testing.assert_array_equal(base, old)
    big = one_vs_all.search_sample(s, 320)
    assert len(np.unique(big)) == 320 and s.y_test[big].sum() == 160
    assert np.isin(base, big).all()
    np.testing.assert_array_equal(big, one_vs_all.search_sample(s, 320))
    with pytest.raises(ValueError, match="even"):
        one_vs_all.search_sample(s, 321)
    with pytest.raises(ValueError, match="needs 1000 normal test items"):
        one_vs_all.search_sample(s, 2000)


def test_adgan_scores_of_the_base_sample_carry_over_to_a_larger_one(files, tmp_path):
    run = one_vs_all.OneVsAllRun(search_sample=200)
    s = one_vs_all_split(*files, 3, seed=1, n_test=3000)
    base, big = one_vs_all.search_sample(s, 160), one_vs_all.search_sample(s, 200)
    assert one_vs_all.carried_adgan_scores(tmp_path, run, s, big) is None  # no file yet
    path = one_vs_all.score_file(tmp_path, one_vs_all.adgan_file_stem(run), 3, 1)
    path.parent.mkdir(parents=True)
    np.savez(path, sample=base, y=s.y_test, score=base * 1.0, initial=base * 2.0)
    carried = one_vs_all.carried_adgan_scores(tmp_path, run, s, big)
    assert carried is not None and one_vs_all.carried_adgan_scores(tmp_path, run, s, base) is None
    new = np.setdiff1d(big, carried["sample"])
    assert len(new) == 40
    res = {"score": -new * 1.0, "initial_losses": np.stack([-new * 1.0, -new * 3.0], 1)}
    score, initial = one_vs_all.merge_scores(big, new, res, carried)
    searched = np.isin(big, new)
    np.testing.assert_array_equal(score, np.where(searched, -big, big))
    np.testing.assert_array_equal(initial, np.where(searched, -2 * big, 2 * big))
    # the larger sample's own score files do not overwrite the base sample's
    assert one_vs_all.score_file(tmp_path, "gmm", 3, 1, 200).name == "gmm_n200_class3_seed1.npz"
    np.savez(path, sample=base, y=1 - s.y_test, score=base, initial=base)  # another split
    with pytest.raises(ValueError, match="another test split"):
        one_vs_all.carried_adgan_scores(tmp_path, run, s, big)


class _FakeADGAN:
    """Scores an image by its mean pixel (+2): what run_job's carry-over needs of a detector."""

    class trainer:
        global_step, history = 7, []

    class model_config:
        to_dict = staticmethod(dict)

    search_config = model_config

    def fit(self, x):
        return self

    def search(self, x):
        score = np.asarray(x).reshape(len(x), -1).mean(1) + 2.0
        return {"score": score, "initial_losses": np.stack([score, 3 * score], 1)}


def test_run_job_searches_only_the_new_items_and_checks_the_carried_ones(files, tmp_path,
                                                                         monkeypatch):
    monkeypatch.setattr(one_vs_all, "adgan_detector", lambda *a: _FakeADGAN())
    run = one_vs_all.OneVsAllRun(n_test=2000, search_sample=170)
    s = one_vs_all_split(*files, 3, seed=1, n_test=2000)
    base, big = one_vs_all.search_sample(s, 160), one_vs_all.search_sample(s, 170)
    truth = _FakeADGAN().search(s.x_test)["score"]
    path = one_vs_all.score_file(tmp_path, one_vs_all.adgan_file_stem(run), 3, 1)
    path.parent.mkdir(parents=True)
    np.savez(path, sample=base, y=s.y_test, score=truth[base], initial=2 * truth[base])
    store = ResultStore(tmp_path / "r.json")
    [rec] = one_vs_all.run_job(3, 1, run, store, tmp_path, files, adgan_only=True)
    assert (rec["n_sample"], rec["searched_points"], rec["carried_points"]) == (170, 10, 160)
    assert rec["carried_check_max_relative_diff"] == 0.0
    out = np.load(one_vs_all.score_file(tmp_path, one_vs_all.adgan_file_stem(run), 3, 1, 170))
    np.testing.assert_array_equal(out["sample"], big)
    np.testing.assert_allclose(out["score"], truth[big])
    np.testing.assert_allclose(out["initial"], 2 * truth[big])  # both parts: 2x the score
    # carried scores that a new search does not reproduce stop the job, before any record
    np.savez(path, sample=base, y=s.y_test, score=1.01 * truth[base], initial=truth[base])
    store = ResultStore(tmp_path / "r2.json")
    with pytest.raises(RuntimeError, match="differ from a new search"):
        one_vs_all.run_job(3, 1, run, store, tmp_path, files, adgan_only=True)
    assert store.records == []


def test_merge_scores_refuses_items_outside_the_sample_or_left_unscored():
    sample = np.array([2, 5, 9])
    res = {"score": np.ones(2), "initial_losses": np.ones((2, 4))}
    with pytest.raises(ValueError, match="no score"):
        one_vs_all.merge_scores(sample, np.array([2, 9]), res, None)
    with pytest.raises(ValueError, match="not in the sample"):
        one_vs_all.merge_scores(sample, np.array([2, 7]), res, None)


def test_kde_bandwidth_follows_the_data_scale():
    rng = np.random.default_rng(0)
    wide = baselines.KDEDetector().fit(rng.normal(0, 8.0, (300, 2)))
    narrow = baselines.KDEDetector().fit(rng.normal(0, 0.2, (300, 2)))
    assert wide.bandwidth_ > narrow.bandwidth_
    assert narrow.bandwidth_ == 1.0 and wide.bandwidth_ in baselines.KDEDetector.BANDWIDTHS
    # the CV log-likelihoods are kept, one per bandwidth, and the best one was chosen
    cv = wide.cv_log_likelihood_
    assert len(cv) == len(baselines.KDEDetector.BANDWIDTHS)
    assert baselines.KDEDetector.BANDWIDTHS[int(np.argmax(cv))] == wide.bandwidth_
    # far points score as more anomalous
    s = narrow.score_samples(np.array([[0.0, 0.0], [5.0, 5.0]]))
    assert s[1] > s[0]


def test_records_state_the_native_thread_counts_in_force():
    # BLAS/OpenMP threads can change a baseline (the KDE's bandwidth), and TensorFlow's
    # --threads does not limit them, so every record states them
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=1):
        pools = machine()["native_threads"]
    assert pools and all(p["threads"] == 1 for p in pools)


def test_gmm_picks_the_number_of_clusters_by_bic():
    rng = np.random.default_rng(1)
    centres = np.array([[0, 0], [10, 0], [0, 10]], float)
    x = np.concatenate([c + rng.normal(0, 0.5, (200, 2)) for c in centres])
    gmm = baselines.GMMDetector(components=range(2, 7)).fit(x)
    assert gmm.n_components_ == 3
    s = gmm.score_samples(np.array([[0.0, 0.0], [5.0, 5.0]]))
    assert s[1] > s[0]


def test_pca_dimension_is_chosen_on_the_holdout_set():
    # normal rows vary strongly in 10 directions; anomalies differ only along a
    # low-variance one, which PCA keeps only with enough components
    rng = np.random.default_rng(2)
    scale = np.r_[np.full(10, 10.0), np.full(30, 0.3)]
    normal = rng.normal(size=(400, 40)) * scale
    hold_n = rng.normal(size=(100, 40)) * scale
    hold_a = rng.normal(size=(100, 40)) * scale
    hold_a[:, 25] += 3.0
    x_hold = np.concatenate([hold_n, hold_a])
    y_hold = np.r_[np.zeros(100), np.ones(100)]
    det, auc = baselines.fit_on_best_pca(lambda: baselines.GMMDetector(components=(2,)),
                                         normal, x_hold, y_hold, dims=(5, 30))
    assert set(auc) == {5, 30} and det.n_components == 30
    assert auc[30] > 0.9 > auc[5]


def _record(method, c, seed, auc, full=None, wgan_steps=1000, z_lr=0.025, width=None,
            beta_1=None):
    rec = {"experiment": "one_vs_all", "method": method, "normal_class": c, "seed": seed,
           "sample": {"roc_auc": auc, "roc_tpr": list(np.linspace(0, 1, 101) ** 0.5)},
           "run": {}, "machine": {"host_cpus": 2, "processor": "x", "tensorflow": "t",
                                  "scikit_learn": "s"},
           "n_train": 900, "n_test": 5000, "n_sample": 160, "anomaly_fraction_test": 0.9}
    if full is not None:
        rec["roc_auc"] = full
    if method == "adgan":
        rec.update(generator_steps=wgan_steps, wgan_steps=wgan_steps, adgan_z_lr=z_lr,
                   search={"learning_rate": z_lr, "theta_learning_rate": 1e-5},
                   search_points_per_second=2.0,
                   sample_start_only={"roc_auc": 0.5})
        if width is not None:  # records from before the width field have none: width 1
            rec["wgan_width"] = width
        if beta_1 is not None:  # search settings without β₁: Keras's 0.9
            rec["search"]["beta_1"] = beta_1
    return rec


def _variant(steps, z_lr, beta_1, **wgan):
    """The ADGAN variant of a run with these settings (WGAN-GP settings: legacy unless given)."""
    return one_vs_all.run_variant(one_vs_all.OneVsAllRun(
        wgan_steps=steps, adgan_z_lr=z_lr, adgan_beta_1=beta_1, **{"wgan_lr": 1e-4, **wgan}))


def test_report_means_and_files(tmp_path):
    recs = [_record("adgan", c, s, 0.9 + 0.01 * s, None) for c in range(10) for s in (0, 1)]
    recs += [_record("kde", c, 0, 0.8, 0.85) for c in range(10)]
    recs += [_record("gmm", 0, 0, 0.95, 0.96)]
    store = ResultStore(tmp_path / "r.json")
    store.add(recs)
    means = one_vs_all_report.class_means(store.records, primary=_variant(1000, 0.025, 0.9))
    assert means["adgan"][0] == pytest.approx(0.905)
    assert means["adgan"][2] == pytest.approx([0.9, 0.91])  # both seeds complete
    assert means["gmm"][1] == [0] and means["gmm"][2] == []
    assert one_vs_all_report.class_means(store.records, on_sample=False)["kde"][0] == \
        pytest.approx(0.85)
    one_vs_all_report.write(store, tmp_path / "r.json",
                            one_vs_all.OneVsAllRun(wgan_steps=1000, adgan_z_lr=0.025,
                                                   adgan_beta_1=0.9, wgan_lr=1e-4))
    md = (tmp_path / "r.md").read_text()
    # each comparison is over the jobs both scored: GMM has class 0 seed 0, KDE seed 0
    assert "ADGAN 0.9000 vs GMM (PCA) 0.9500 (1 job): **ADGAN below**" in md
    assert "ADGAN 0.9000 vs KDE (PCA) 0.8000 (10 jobs): ADGAN ≥; ADGAN higher on 10 of the 10" in md
    # ADGAN has 20 jobs, KDE and GMM fewer: the comparison says it is partial
    assert "have scored fewer of ADGAN's 20 jobs" in md and "**Partial:** KDE (PCA), GMM" in md
    assert (tmp_path / "r_roc.png").stat().st_size > 1000  # named after the results file
    assert "![ROC](r_roc.png)" in md and "from `r.json`" in md
    json.loads((tmp_path / "r.json").read_text())


def test_seed_interval_pools_the_seed_spread_within_classes():
    # class 0: 0.01, 0.03 (mean 0.02); class 1: -0.01, 0.01 (mean 0); each s² = 2e-4 with 1 df.
    # Mean over classes 0.01; its variance (2e-4/2 + 2e-4/2) / 2² = 5e-5; t(0.975, 2) = 4.3027.
    diffs = {(0, 0): 0.01, (0, 1): 0.03, (1, 0): -0.01, (1, 1): 0.01}
    mean, half = seed_interval(diffs)
    assert mean == pytest.approx(0.01) and half == pytest.approx(4.30265 * np.sqrt(5e-5), rel=1e-4)
    # a class effect does not widen it: shifting a whole class moves the mean only
    mean2, half2 = seed_interval({**diffs, (1, 0): 0.09, (1, 1): 0.11})
    assert mean2 == pytest.approx(0.06) and half2 == pytest.approx(half)
    assert seed_interval({(0, 0): 0.01, (1, 0): 0.02}) is None  # one seed per class: no spread
    # unequal seeds: class 0 has 3 (mean 0.02, s² 1e-4, 2 df), class 1 one (0.04, no df); the
    # mean weighs each class 1/2, its variance is (1e-4/3 + 1e-4/1) / 2², t(0.975, 2)
    mean, half = seed_interval({(0, 0): 0.01, (0, 1): 0.02, (0, 2): 0.03, (1, 0): 0.04})
    assert mean == pytest.approx(0.03)
    assert half == pytest.approx(4.30265 * np.sqrt((1e-4 / 3 + 1e-4) / 4), rel=1e-4)


def test_report_states_the_interval_of_each_difference(tmp_path):
    recs = [_record("adgan", c, s, 0.9 + 0.02 * s, None) for c in range(10) for s in (0, 1)]
    recs += [_record("gmm", c, s, 0.91, None) for c in range(10) for s in (0, 1)]
    store = ResultStore(tmp_path / "r.json")
    store.add(recs)
    one_vs_all_report.write(store, tmp_path / "r.json",
                            one_vs_all.OneVsAllRun(wgan_steps=1000, adgan_z_lr=0.025,
                                                   adgan_beta_1=0.9, wgan_lr=1e-4))
    md = (tmp_path / "r.md").read_text()
    # differences -0.01 and +0.01 in every class: pooled s² = 2e-4 (10 df), se = sqrt(2e-4/20)
    half = 2.22814 * np.sqrt(2e-4 / 20)
    assert (f"ADGAN 0.9100 vs GMM (PCA) 0.9100 (20 jobs): ADGAN ≥; ADGAN higher on 10 of the 20; "
            f"difference +0.0000, 95% interval {-half:+.4f} to {half:+.4f}") in md


def test_report_refuses_records_on_two_sample_sizes(tmp_path):
    recs = [_record("adgan", c, 0, 0.9, None) for c in range(10)]
    recs += [{**_record("gmm", 0, 0, 0.95, 0.96), "n_sample": 320}]
    store = ResultStore(tmp_path / "r.json")
    store.add(recs)
    with pytest.raises(ValueError, match=r"samples of \[160, 320\] items"):
        one_vs_all_report.write(store, tmp_path / "r.json", one_vs_all.OneVsAllRun(
            wgan_steps=1000, adgan_z_lr=0.025, adgan_beta_1=0.9, wgan_lr=1e-4))
    assert not (tmp_path / "r.md").exists()


def test_report_rows_adgan_variants_and_compares_the_runs_own(tmp_path):
    recs = [_record("adgan", c, 0, 0.9, None, wgan_steps=1000) for c in range(10)]
    recs += [_record("adgan", c, 0, 0.97, None, wgan_steps=2000) for c in range(10)]
    recs += [_record("adgan", c, 0, 0.96, None, wgan_steps=2000, width=2) for c in range(10)]
    recs += [_record("adgan", c, 0, 0.98, None, wgan_steps=2000, beta_1=0.5) for c in range(10)]
    recs += [_record("gmm", c, 0, 0.95, 0.96) for c in range(10)]
    store = ResultStore(tmp_path / "r.json")
    store.add(recs)
    means = one_vs_all_report.class_means(store.records, primary=_variant(2000, 0.025, 0.9))
    assert means["adgan"][0] == pytest.approx(0.97)
    assert means["adgan@1000/0.025"][0] == pytest.approx(0.9)
    assert means["adgan@2000/0.025/w2"][0] == pytest.approx(0.96)
    assert means["adgan@2000/0.025/b1=0.5"][0] == pytest.approx(0.98)
    wide = one_vs_all_report.class_means(store.records, primary=_variant(2000, 0.025, 0.9, wgan_width=2))
    assert wide["adgan"][0] == pytest.approx(0.96)
    assert wide["adgan@2000/0.025"][0] == pytest.approx(0.97)
    # by default the OneVsAllRun defaults' variant is "adgan"
    default = one_vs_all.OneVsAllRun()
    recs = [{**_record("adgan", 0, 0, 0.8, None, wgan_steps=default.wgan_steps,
                       z_lr=default.adgan_z_lr, beta_1=default.adgan_beta_1),
             "wgan_lr": default.wgan_lr}]
    assert one_vs_all_report.class_means(recs)["adgan"][0] == pytest.approx(0.8)
    assert one_vs_all_report.class_means(recs, primary=_variant(1, 0.5, 0.9)).keys() == {
        f"adgan@{default.wgan_steps}/{default.adgan_z_lr:g}/b1={default.adgan_beta_1:g}"
        f"/lr={default.wgan_lr:g}"}
    one_vs_all_report.write(store, tmp_path / "r.json",
                            one_vs_all.OneVsAllRun(wgan_steps=2000, adgan_z_lr=0.025,
                                                   adgan_beta_1=0.9, wgan_lr=1e-4))
    md = (tmp_path / "r.md").read_text()
    assert "ADGAN (2000 WGAN-GP steps, Adam step 0.0001, z step 0.025, β₁ 0.9)" in md
    assert "ADGAN (1000 WGAN-GP steps, Adam step 0.0001, z step 0.025, β₁ 0.9)" in md
    assert "ADGAN (2000 WGAN-GP steps, width 2, Adam step 0.0001, z step 0.025, β₁ 0.9)" in md
    assert "ADGAN (2000 WGAN-GP steps, Adam step 0.0001, z step 0.025, β₁ 0.5)" in md
    assert "ADGAN 0.9700 vs GMM (PCA) 0.9500 (10 jobs): ADGAN ≥" in md
    assert "vs ADGAN" not in md  # the shorter length is not a baseline


def _holdout(c, steps, z_lr, auc, n=120, width=None, search=None):
    rec = {"experiment": "adgan_holdout", "normal_class": c, "seed": 0, "n_scored": n,
           "generator_steps": steps, "roc_auc": auc, "roc_auc_starts_only": 0.7,
           "mean_loss_drop": 0.5, "seconds": 100.0,
           "search": {"learning_rate": z_lr, "theta_learning_rate": 1e-5, **(search or {})}}
    if width is not None:  # records from before the width field have none: width 1
        rec["wgan_width"] = width
    return rec


def test_a_partial_adgan_run_is_compared_on_its_own_jobs_only(tmp_path):
    """While the run's ADGAN has scored only some jobs, the acceptance section says so and
    averages every method over those jobs; another ADGAN variant is paired on shared jobs."""
    run = one_vs_all.OneVsAllRun(wgan_steps=2000, adgan_z_lr=0.1, adgan_beta_1=0.5,
                                 wgan_lr=1e-4)  # the records' (they have no wgan_lr)
    recs = [_record("adgan", c, s, 0.9, wgan_steps=2000, z_lr=0.1, beta_1=0.5)
            for c in (0, 1) for s in (0, 1)]
    recs[0]["sample"]["roc_auc"] = 0.7  # class 0 seed 0: below the old variant there
    recs += [_record("adgan", c, s, 0.85, wgan_steps=2000, z_lr=0.1)
             for c in range(10) for s in (0, 1)]
    recs += [_record("gmm", c, s, 0.8 if c < 2 else 1.0, 0.9) for c in range(10) for s in (0, 1)]
    store = ResultStore(tmp_path / "r.json")
    store.add(recs)
    one_vs_all_report.write(store, tmp_path / "r.json", run)
    md = (tmp_path / "r.md").read_text()
    assert "**Partial:** ADGAN has scored 4 of the 20 jobs (classes [0, 1])" in md
    # ADGAN (0.8 on class 0, 0.9 on class 1) against the GMM's 0.8 there, not its 0.96 overall
    assert "- ADGAN 0.8500 vs GMM (PCA) 0.8000 (4 jobs): ADGAN ≥" in md
    assert ("- 4 shared jobs: the run's ADGAN 0.8500, ADGAN (2000 WGAN-GP steps, Adam step "
            "0.0001, z step 0.1, β₁ 0.9) 0.8500; the run's higher on 3 of 4 jobs") in md
    # the plot keeps the complete β₁ 0.9 curve beside the partial one, and drops it once the
    # run's own is at least as complete
    keys = [m for m, _ in one_vs_all_report.plotted(store.records, one_vs_all.run_variant(run))]
    assert keys == ["adgan", "adgan@2000/0.1", "gmm"]
    complete = recs[4:24] + recs[24:]
    store = ResultStore(tmp_path / "c.json")
    store.add(complete)
    one_vs_all_report.write(store, tmp_path / "c.json", run.replace_given(adgan_beta_1=0.9))
    md = (tmp_path / "c.md").read_text()
    assert "Partial" not in md
    assert "- ADGAN 0.8500 vs GMM (PCA) 0.9600 (20 jobs): **ADGAN below**" in md
    old = one_vs_all.run_variant(run.replace_given(adgan_beta_1=0.9))
    assert [m for m, _ in one_vs_all_report.plotted(store.records, old)] == ["adgan", "gmm"]


def test_validation_report_ranks_settings_over_the_same_jobs():
    recs = [_holdout(2, 1001, 0.025, 0.79), _holdout(8, 1001, 0.025, 0.74),
            _holdout(2, 2002, 0.1, 0.89), _holdout(8, 2002, 0.1, 0.78),
            _holdout(2, 2002, 1.0, 0.95),  # only one job: not comparable with the others
            _holdout(0, 1008, 0.025, 0.98, n=80)]
    md = one_vs_all_report.validation_markdown(recs)
    assert md.count("| 2 | 0 |") == 3 and "| 0 | 0 | 1008 | 1 | 0.0001 | – | 0.025 | 1e-05 | seed | 5 | 0.9 | moving | 80 | 0.9800 |" in md
    ranked = next(line for line in md.splitlines() if line.startswith("- class 2 seed 0, class 8"))
    assert ("2000 steps, width 1, z 0.1, θ 1e-05: 0.8350; "
            "1000 steps, width 1, z 0.025, θ 1e-05: 0.7650") in ranked
    assert "**Highest: 2000 steps, width 1, z 0.1, θ 1e-05.**" in ranked
    assert "z 1," not in ranked
    # 2000 steps/z 0.1 scored later on a third job, and 3000 steps on all three: each is
    # still ranked against the others on classes 2 and 8, and the two on all three jobs
    recs += [_holdout(5, 2002, 0.1, 0.90), _holdout(2, 3001, 0.1, 0.80),
             _holdout(8, 3001, 0.1, 0.70), _holdout(5, 3001, 0.1, 0.99)]
    lines = one_vs_all_report.validation_markdown(recs).splitlines()
    ranked = next(line for line in lines if line.startswith("- class 2 seed 0, class 8 seed 0, 120"))
    assert ("2000 steps, width 1, z 0.1, θ 1e-05: 0.8350; 1000 steps, width 1, z 0.025, "
            "θ 1e-05: 0.7650; 3000 steps, width 1, z 0.1, θ 1e-05: 0.7500.") in ranked
    ranked = next(line for line in lines if line.startswith("- class 2 seed 0, class 5 seed 0, class 8"))
    assert ranked.endswith("2000 steps, width 1, z 0.1, θ 1e-05: 0.8567; 3000 steps, width 1, "
                           "z 0.1, θ 1e-05: 0.8300. **Highest: 2000 steps, width 1, z 0.1, θ 1e-05.**")
    # a wider WGAN-GP at the same length is a setting of its own, ranked with the others
    recs += [_holdout(c, 2002, 0.1, 0.95, width=2) for c in (2, 5, 8)]
    lines = one_vs_all_report.validation_markdown(recs).splitlines()
    assert "| 2 | 0 | 2002 | 2 | 0.0001 | – | 0.1 | 1e-05 | seed | 5 | 0.9 | moving | 120 | 0.9500 |" in "\n".join(lines)
    ranked = next(line for line in lines if line.startswith("- class 2 seed 0, class 5 seed 0, class 8"))
    assert ranked.endswith("2000 steps, width 2, z 0.1, θ 1e-05: 0.9500; 2000 steps, width 1, "
                           "z 0.1, θ 1e-05: 0.8567; 3000 steps, width 1, z 0.1, θ 1e-05: 0.8300. "
                           "**Highest: 2000 steps, width 2, z 0.1, θ 1e-05.**")


def test_validation_report_keeps_search_length_and_beta_apart():
    recs = [_holdout(c, 2002, 0.1, a) for c, a in ((5, 0.89), (8, 0.78))]  # old: no k, no β₁
    recs += [_holdout(c, 2002, 0.1, a, search={"steps": 15, "beta_1": 0.9}) for c, a in ((5, 0.80), (8, 0.70))]
    recs += [_holdout(c, 2002, 0.1, a, search={"steps": 5, "beta_1": 0.5}) for c, a in ((5, 0.90), (8, 0.80))]
    recs[-1].update(roc_auc_ink=0.28, ink_correlation_anomalies=0.74)
    md = one_vs_all_report.validation_markdown(recs)
    ranked = next(line for line in md.splitlines() if line.startswith("- class 5 seed 0, class 8"))
    assert ranked.endswith(
        "2000 steps, width 1, z 0.1, θ 1e-05, β₁ 0.5: 0.8500; 2000 steps, width 1, z 0.1, "
        "θ 1e-05: 0.8350; 2000 steps, width 1, z 0.1, θ 1e-05, k 15: 0.7500. "
        "**Highest: 2000 steps, width 1, z 0.1, θ 1e-05, β₁ 0.5.**")
    assert "| 8 | 0 | 2002 | 1 | 0.0001 | – | 0.1 | 1e-05 | seed | 5 | 0.5 | moving | 120 | 0.8000 | 0.7000 | 0.500 | 0.28 | 0.74 | 100 |" in md
    assert "| 8 | 0 | 2002 | 1 | 0.0001 | – | 0.1 | 1e-05 | seed | 15 | 0.9 | moving | 120 | 0.7000 | 0.7000 | 0.500 | – | – | 100 |" in md


def test_roc_points_are_a_monotone_curve_from_0_to_1():
    y = np.r_[np.zeros(50), np.ones(50)]
    scores = np.r_[np.random.default_rng(0).normal(0, 1, 50),
                   np.random.default_rng(1).normal(1, 1, 50)]
    tpr = one_vs_all.roc_points(y, scores)
    assert len(tpr) == 101 and tpr[-1] == 1.0 and np.all(np.diff(tpr) >= 0)
    assert one_vs_all.roc_points(y, np.r_[np.zeros(50), np.ones(50)])[1] == 1.0


def test_a_job_runs_every_method_and_resumes(files, tmp_path):
    run = one_vs_all.OneVsAllRun(wgan_steps=1, adgan_z_lr=0.025, egbad_steps=1, n_test=200, search_sample=6,
                                 threshold_sample=1, pca_dims=(5, 10), adgan_jit=False)
    store = ResultStore(tmp_path / "r.json")
    first = one_vs_all.run_job(7, 0, run, store, tmp_path, files, adgan_only=True)
    assert [r["method"] for r in first] == ["adgan"] and len(store.records) == 1
    recs = one_vs_all.run_job(7, 0, run, store, tmp_path, files)
    methods = sorted(r["method"] for r in recs)
    assert methods == sorted(["adgan", "anogan", "bigan_sigma", "bigan_fm", "kde", "ocsvm",
                              "isolation_forest", "gmm"])
    for r in recs:
        assert 0.0 <= r["sample"]["roc_auc"] <= 1.0 and r["n_sample"] == 6
        assert ("roc_auc" in r) == (r["method"] not in ("adgan", "anogan"))
    gmm = next(r for r in recs if r["method"] == "gmm")
    assert gmm["pca_dim"] in (5, 10) and set(gmm["holdout_roc_auc"]) == {"5", "10"}
    adgan = next(r for r in recs if r["method"] == "adgan")
    assert adgan["search"]["beta_1"] == run.adgan_beta_1 == 0.5
    assert adgan["wgan_lr"] == run.wgan_lr == 1e-3  # the default, not the legacy 1e-4
    assert one_vs_all.adgan_file_stem(run) == "adgan_wgan1_lr0.001_zlr0.025_beta0.5"
    scores = np.load(tmp_path / "one_vs_all" / "scores"
                     / "adgan_wgan1_lr0.001_zlr0.025_beta0.5_n6_class7_seed0.npz")
    assert scores["score"].shape == (6,) and scores["y"].shape == (200,)
    # a second call finds every method done and adds nothing
    again = one_vs_all.run_job(7, 0, run, ResultStore(tmp_path / "r.json"), tmp_path, files)
    assert len(again) == len(recs) == len(ResultStore(tmp_path / "r.json").records)


def test_replace_given_overrides_only_the_settings_given():
    run = one_vs_all.OneVsAllRun().replace_given(wgan_steps=7, adgan_z_lr=None)
    assert run.wgan_steps == 7 and run.adgan_z_lr == one_vs_all.OneVsAllRun().adgan_z_lr


def test_wgan_flags_come_from_the_settings_table_and_build_the_run():
    from absl import flags

    from tfgan_ad.runs.wgan_settings import WGAN_SETTINGS, define_wgan_flags, wgan_settings_of
    fv = flags.FlagValues()
    define_wgan_flags(flags, of=" of the checkpoint", flag_values=fv)
    assert set(fv) == {st.field for st in WGAN_SETTINGS}
    assert "of the checkpoint" in fv["wgan_lr"].help
    # the flags belong to the module that declared them (here this test), not wgan_settings
    assert "wgan_lr" in {f.name for f in fv.get_key_flags_for_module(__name__)}
    fv(["prog", "--wgan_lr=3e-4", "--wgan_n_critic=10"])
    assert fv.wgan_lr == 3e-4 and fv.wgan_n_critic == 10 and fv.wgan_batch is None
    with pytest.raises(flags.IllegalFlagValueError):  # an int setting refuses a float
        fv["wgan_batch"].parse("1.5")
    fv = flags.FlagValues()
    define_wgan_flags(flags, flag_values=fv)
    fv(["prog", "--wgan_lr=3e-4", "--wgan_n_critic=10"])
    run = one_vs_all.OneVsAllRun().replace_given(**wgan_settings_of(fv))
    assert (run.wgan_lr, run.wgan_n_critic) == (3e-4, 10)
    assert run.wgan_batch == one_vs_all.OneVsAllRun().wgan_batch  # not given: the run's value


def test_require_checkpoint_names_the_missing_directory_and_the_fix(files, tmp_path):
    split = one_vs_all_split(*files, 3, 0, n_test=100)
    det = one_vs_all.adgan_detector(one_vs_all.OneVsAllRun(), split, tmp_path)
    with pytest.raises(FileNotFoundError, match=r"wgan_gp_lr0.001_class3_seed0.*train it so"):
        require_checkpoint(det, "train it so")


def test_require_checkpoint_refuses_an_unfinished_run_instead_of_training_on(files, tmp_path):
    """A shorter run's checkpoint in the directory (e.g. 2,000 steps where 4,000 are asked for)
    must stop a script that only uses trained networks, before ``fit`` trains on and prunes."""
    split = one_vs_all_split(*files, 3, 0, n_test=100)
    det = one_vs_all.adgan_detector(one_vs_all.OneVsAllRun(), split, tmp_path)
    cfg = det.train_config
    total = cfg.epochs * (len(split.x_train) // cfg.batch_size)
    step = tf.Variable(total - 1, dtype=tf.int64)
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(step=step), cfg.checkpoint_dir, 3)
    manager.save(checkpoint_number=total - 1)
    require_checkpoint(det, "train it so")  # without n_train: any checkpoint will do
    with pytest.raises(FileNotFoundError, match=rf"at step {total - 1}, short of the {total} "
                                                r"steps.*train it so"):
        require_checkpoint(det, "train it so", n_train=len(split.x_train))
    step.assign(total)
    manager.save(checkpoint_number=total)
    require_checkpoint(det, "train it so", n_train=len(split.x_train))  # the finished run


def test_a_wider_wgan_gp_has_its_own_checkpoints_score_files_and_variant(tmp_path):
    base = one_vs_all.OneVsAllRun(adgan_beta_1=0.9, wgan_lr=1e-4)
    wide = base.replace_given(wgan_width=2)
    # width 1 (and β₁ 0.9, WGAN-GP Adam 1e-4) keep the names they had before the fields existed (records and
    # files resume)
    assert one_vs_all.wgan_model_name(base) == "wgan_gp"
    assert "wgan_width" not in one_vs_all.adgan_variant(base)
    assert one_vs_all.adgan_file_stem(base) == f"adgan_wgan{base.wgan_steps}_zlr{base.adgan_z_lr:g}"
    assert one_vs_all.wgan_model_name(wide) == "wgan_gp_w2"
    assert one_vs_all.adgan_variant(wide)["wgan_width"] == 2
    assert one_vs_all.adgan_file_stem(wide) != one_vs_all.adgan_file_stem(base)
    split = type("S", (), {"normal_class": 3, "seed": 1, "x_train": np.zeros((640, 28, 28))})()
    det = one_vs_all.adgan_detector(wide, split, tmp_path)
    assert det.model_config.width == 2
    assert det.train_config.checkpoint_dir.endswith("wgan_gp_w2_class3_seed1")


def test_a_width_1_run_is_not_satisfied_by_a_wider_runs_record(tmp_path):
    store = ResultStore(tmp_path / "r.json")
    base = one_vs_all.OneVsAllRun(adgan_beta_1=0.9, wgan_lr=1e-4)  # the records' (no fields)
    wide = base.replace_given(wgan_width=2)
    store.add([_record("adgan", 3, 0, 0.9, wgan_steps=base.wgan_steps, z_lr=base.adgan_z_lr,
                       width=2)])
    assert one_vs_all.has_adgan(store, wide, normal_class=3, seed=0)
    assert not one_vs_all.has_adgan(store, base, normal_class=3, seed=0)
    assert not one_vs_all.has_adgan(store, wide, normal_class=4, seed=0)
    # a record from before the width field is width 1
    store.add([_record("adgan", 5, 0, 0.9, wgan_steps=base.wgan_steps, z_lr=base.adgan_z_lr)])
    assert one_vs_all.has_adgan(store, base, normal_class=5, seed=0)
    assert not one_vs_all.has_adgan(store, wide, normal_class=5, seed=0)


def test_the_search_beta_1_is_part_of_the_variant(tmp_path):
    """A run at β₁ 0.5 is neither satisfied by nor reported as a β₁ 0.9 record (records whose
    search settings name no β₁ are 0.9), and it has its own score files."""
    new = one_vs_all.OneVsAllRun(adgan_beta_1=0.5, wgan_lr=1e-4)  # the records' (no wgan_lr)
    old = new.replace_given(adgan_beta_1=0.9)
    store = ResultStore(tmp_path / "r.json")
    store.add([_record("adgan", 3, 0, 0.9, wgan_steps=new.wgan_steps, z_lr=new.adgan_z_lr)])
    assert one_vs_all.has_adgan(store, old, normal_class=3, seed=0)
    assert not one_vs_all.has_adgan(store, new, normal_class=3, seed=0)
    store.add([_record("adgan", 3, 0, 0.95, wgan_steps=new.wgan_steps, z_lr=new.adgan_z_lr,
                       beta_1=0.5)])
    assert one_vs_all.has_adgan(store, new, normal_class=3, seed=0)
    assert one_vs_all.adgan_variant(new)["adgan_beta_1"] == 0.5
    assert one_vs_all.adgan_file_stem(new) == f"adgan_wgan{new.wgan_steps}_zlr0.1_beta0.5"
    assert one_vs_all.adgan_file_stem(old) == f"adgan_wgan{new.wgan_steps}_zlr0.1"
    split = type("S", (), {"normal_class": 3, "seed": 1, "x_train": np.zeros((640, 28, 28))})()
    assert one_vs_all.adgan_detector(new, split, tmp_path).search_config.beta_1 == 0.5
    assert one_vs_all.adgan_detector(old, split, tmp_path).search_config.beta_1 == 0.9


def test_holdout_search_scores_the_chosen_holdout_items():
    y = np.array([0, 0, 1, 1, 0, 1])
    split = type("S", (), {"y_holdout": y, "x_holdout": np.arange(6.0)})()
    seen = []

    class Det:  # stands in for a fitted ADGANDetector: score = the item's value
        trainer = type("T", (), {"global_step": 2002})()
        search_config = type("C", (), {"to_dict": lambda self: {"learning_rate": 0.1}})()

        def search(self, x):
            seen.append(x)
            return {"score": x + 1.0, "initial_losses": np.stack([-x + 10.0] * 3, axis=1)}

    idx = np.array([0, 2, 3, 1])  # labels 0, 1, 1, 0; values 0, 2, 3, 1
    out = one_vs_all.holdout_search(Det(), split, idx)
    np.testing.assert_array_equal(seen[0], [0.0, 2.0, 3.0, 1.0])
    assert out["roc_auc"] == pytest.approx(1.0)             # scores: anomalies 3, 4 > 1, 2
    assert out["roc_auc_starts_only"] == pytest.approx(0.0)  # starts: anomalies 8, 7 < 10, 9
    assert out["mean_loss_drop"] == pytest.approx(1 - 2.5 / 8.5)
    assert out["generator_steps"] == 2002 and out["search"] == {"learning_rate": 0.1}
    assert out["seconds"] >= 0


def test_holdout_search_reports_how_the_score_follows_ink():
    # 2×2 images in [-1, 1] with 1, 2, 3, 4, 0 and 2 bright pixels; items 2, 3, 5 are anomalies
    bright = [1, 2, 3, 4, 0, 2]
    x = np.full((6, 2, 2, 1), -1.0)
    for i, b in enumerate(bright):
        x[i].reshape(-1)[:b] = 1.0
    split = type("S", (), {"y_holdout": np.array([0, 0, 1, 1, 0, 1]), "x_holdout": x})()

    class Det:  # the score falls as ink rises: anomalies 3, 4, 2 bright pixels score 5, 4, 6
        trainer = type("T", (), {"global_step": 1})()
        search_config = type("C", (), {"to_dict": lambda self: {}})()

        def search(self, xs):
            score = 8.0 - (xs > 0).sum(axis=(1, 2, 3))
            return {"score": score, "initial_losses": score[:, None] + 1.0}

    np.testing.assert_allclose(one_vs_all.ink(x), [0.25, 0.5, 0.75, 1.0, 0.0, 0.5])
    out = one_vs_all.holdout_search(Det(), split, np.array([0, 1, 2, 3, 5]))
    # ink alone: anomalies 0.75, 1.0, 0.5 against normals 0.25, 0.5 → (2 + 2 + 1.5) / 6
    assert out["roc_auc_ink"] == pytest.approx(5.5 / 6)
    assert out["ink_correlation_anomalies"] == pytest.approx(-1.0)
    # anomalies of equal ink: no correlation to report
    assert one_vs_all.holdout_search(Det(), split, np.array([0, 1, 5]))[
        "ink_correlation_anomalies"] is None


def test_the_wgan_gp_adam_step_has_its_own_checkpoints_score_files_and_variant(tmp_path):
    """A WGAN-GP trained with another Adam step is another model: own checkpoint directory,
    score files and variant; 1e-4 keeps the names and records of before the field."""
    base = one_vs_all.OneVsAllRun(wgan_lr=1e-4)
    fast = base.replace_given(wgan_lr=3e-4)
    assert one_vs_all.OneVsAllRun().wgan_lr == 1e-3  # the default, chosen on holdout
    assert one_vs_all.wgan_model_name(base) == "wgan_gp"
    assert "wgan_lr" not in one_vs_all.adgan_variant(base)
    assert one_vs_all.wgan_model_name(fast) == "wgan_gp_lr0.0003"
    assert one_vs_all.wgan_model_name(fast.replace_given(wgan_width=2)) == "wgan_gp_w2_lr0.0003"
    assert one_vs_all.adgan_variant(fast)["wgan_lr"] == 3e-4
    assert one_vs_all.adgan_file_stem(fast) == f"adgan_wgan{base.wgan_steps}_lr0.0003_zlr0.1_beta0.5"
    split = type("S", (), {"normal_class": 3, "seed": 1, "x_train": np.zeros((640, 28, 28))})()
    det = one_vs_all.adgan_detector(fast, split, tmp_path)
    assert det.model_config.learning_rate == 3e-4
    assert det.train_config.checkpoint_dir.endswith("wgan_gp_lr0.0003_class3_seed1")
    assert one_vs_all.adgan_detector(base, split, tmp_path).model_config.learning_rate == 1e-4
    # records: one without the field is 1e-4; a 3e-4 record satisfies only the 3e-4 run
    store = ResultStore(tmp_path / "r.json")
    store.add([_record("adgan", 3, 0, 0.9, wgan_steps=base.wgan_steps, z_lr=base.adgan_z_lr,
                       beta_1=base.adgan_beta_1)])
    assert one_vs_all.has_adgan(store, base, normal_class=3, seed=0)
    assert not one_vs_all.has_adgan(store, fast, normal_class=3, seed=0)
    store.add([{**_record("adgan", 4, 0, 0.9, wgan_steps=base.wgan_steps,
                          z_lr=base.adgan_z_lr, beta_1=base.adgan_beta_1), "wgan_lr": 3e-4}])
    assert one_vs_all.has_adgan(store, fast, normal_class=4, seed=0)
    assert not one_vs_all.has_adgan(store, base, normal_class=4, seed=0)
    assert one_vs_all_report._variant_key(one_vs_all.run_variant(fast)).endswith("/lr=0.0003")


def test_wgan_gp_batch_n_critic_and_beta_1_are_variants_of_their_own(tmp_path):
    """Batch, n_critic and the nets' Adam β₁ are WGAN-GP settings like the Adam step: own checkpoints, score
    files, records, report rows and holdout rows; at 64, 5 and 0.5 (every record before
    these fields) names and records are unchanged."""
    run = one_vs_all.OneVsAllRun()
    assert (run.wgan_batch, run.wgan_n_critic) == (64, 5)
    assert one_vs_all.wgan_model_name(run) == "wgan_gp_lr0.001"
    assert not {"wgan_batch", "wgan_n_critic"} & set(one_vs_all.adgan_variant(run))
    big = run.replace_given(wgan_batch=128)
    more = run.replace_given(wgan_n_critic=10)
    assert one_vs_all.wgan_model_name(big) == "wgan_gp_lr0.001_batch128"
    assert one_vs_all.wgan_model_name(more) == "wgan_gp_lr0.001_ncritic10"
    assert one_vs_all.adgan_file_stem(more) == f"adgan_wgan{run.wgan_steps}_lr0.001_ncritic10_zlr0.1_beta0.5"
    assert one_vs_all.adgan_variant(big)["wgan_batch"] == 128
    momentum_free = run.replace_given(wgan_beta_1=0.0)
    assert one_vs_all.wgan_model_name(momentum_free) == "wgan_gp_lr0.001_wbeta0"
    assert one_vs_all.adgan_variant(momentum_free)["wgan_beta_1"] == 0.0
    assert "wgan_beta_1" not in one_vs_all.adgan_variant(run)
    split = type("S", (), {"normal_class": 3, "seed": 1, "x_train": np.zeros((1280, 28, 28))})()
    det = one_vs_all.adgan_detector(more, split, tmp_path)
    assert det.model_config.n_critic == 10 and det.train_config.batch_size == 64
    assert det.train_config.checkpoint_dir.endswith("wgan_gp_lr0.001_ncritic10_class3_seed1")
    assert one_vs_all.adgan_detector(momentum_free, split, tmp_path).model_config.beta_1 == 0.0
    assert one_vs_all.adgan_detector(run, split, tmp_path).model_config.beta_1 == 0.5
    det = one_vs_all.adgan_detector(big, split, tmp_path)
    assert det.train_config.batch_size == 128 and det.model_config.n_critic == 5
    assert det.train_config.epochs == 200  # 2000 steps of 10 batches of 128 per epoch
    # a record of the default run satisfies neither variant, and theirs not the default
    store = ResultStore(tmp_path / "r.json")
    base = _record("adgan", 3, 0, 0.9, wgan_steps=run.wgan_steps, z_lr=run.adgan_z_lr,
                   beta_1=run.adgan_beta_1)
    store.add([{**base, "wgan_lr": 1e-3}, {**base, "normal_class": 4, **one_vs_all.adgan_variant(more)}])
    assert one_vs_all.has_adgan(store, run, normal_class=3, seed=0)
    assert not one_vs_all.has_adgan(store, more, normal_class=3, seed=0)
    assert one_vs_all.has_adgan(store, more, normal_class=4, seed=0)
    assert not one_vs_all.has_adgan(store, run, normal_class=4, seed=0)
    variant = one_vs_all.run_variant(more)
    assert one_vs_all_report._variant_key(variant).endswith("/lr=0.001/ncritic=10")
    assert "Adam step 0.001, n_critic 10, z step" in one_vs_all_report._variant_label(variant)
    # holdout: a record with batch 128 is its own setting, named in its row and its ranking
    recs = [_holdout(c, 2002, 0.1, 0.9) for c in (5, 8)]
    recs += [{**_holdout(c, 2002, 0.1, 0.95), "wgan_batch": 128} for c in (5, 8)]
    md = one_vs_all_report.validation_markdown(recs)
    assert "| 5 | 0 | 2002 | 1 | 0.0001 | batch 128 | 0.1 |" in md
    assert "**Highest: 2000 steps, width 1, z 0.1, θ 1e-05, WGAN-GP batch 128.**" in md


def test_a_smaller_latent_is_a_variant_of_its_own(tmp_path):
    run = one_vs_all.OneVsAllRun()
    assert run.wgan_latent_dim == 256 and "wgan_latent_dim" not in one_vs_all.adgan_variant(run)
    small = run.replace_given(wgan_latent_dim=64)
    assert one_vs_all.wgan_model_name(small) == "wgan_gp_lr0.001_z64"
    assert one_vs_all.adgan_variant(small)["wgan_latent_dim"] == 64
    assert one_vs_all.run_variant(small) != one_vs_all.run_variant(run)
    split = type("S", (), {"normal_class": 3, "seed": 1, "x_train": np.zeros((640, 28, 28))})()
    assert one_vs_all.adgan_detector(small, split, tmp_path).model_config.latent_dim == 64
    assert one_vs_all.adgan_detector(run, split, tmp_path).model_config.latent_dim == 256
    assert "latent size 64" in one_vs_all_report._variant_label(one_vs_all.run_variant(small))
    # holdout: a latent-64 record is its own setting, named in its row and its ranking
    recs = [_holdout(c, 2002, 0.1, 0.9) for c in (5, 8)]
    recs += [{**_holdout(c, 2002, 0.1, 0.8), "wgan_latent_dim": 64} for c in (5, 8)]
    md = one_vs_all_report.validation_markdown(recs)
    assert "| 5 | 0 | 2002 | 1 | 0.0001 | latent size 64 | 0.1 |" in md
    assert "2000 steps, width 1, z 0.1, θ 1e-05, WGAN-GP latent size 64: 0.8000" in md


def test_a_gradient_penalty_weight_is_a_variant_of_its_own(tmp_path):
    run = one_vs_all.OneVsAllRun()
    assert run.wgan_gp_weight == 10.0 and "wgan_gp_weight" not in one_vs_all.adgan_variant(run)
    weak = run.replace_given(wgan_gp_weight=1.0)
    assert one_vs_all.wgan_model_name(weak) == "wgan_gp_lr0.001_gp1"
    with pytest.raises(ValueError, match="wgan_gp_weight=1.0000001 has more than 6 significant"):
        one_vs_all.wgan_model_name(run.replace_given(wgan_gp_weight=1.0000001))  # would be "gp1"
    split = type("S", (), {"normal_class": 3, "seed": 1, "x_train": np.zeros((640, 28, 28))})()
    assert one_vs_all.adgan_detector(weak, split, tmp_path).model_config.gp_weight == 1.0
    assert one_vs_all.adgan_detector(run, split, tmp_path).model_config.gp_weight == 10.0
    recs = [_holdout(c, 2002, 0.1, 0.9) for c in (5, 8)]
    recs += [{**_holdout(c, 2002, 0.1, 0.8), "wgan_gp_weight": 1.0} for c in (5, 8)]
    md = one_vs_all_report.validation_markdown(recs)
    assert "| 5 | 0 | 2002 | 1 | 0.0001 | gradient-penalty λ 1 | 0.1 |" in md


def test_a_weight_clip_is_arjovskys_wgan_and_a_variant_of_its_own(tmp_path):
    run = one_vs_all.OneVsAllRun()
    assert run.wgan_clip == 0.0 and "wgan_clip" not in one_vs_all.adgan_variant(run)
    clipped = run.replace_given(wgan_clip=0.01, wgan_gp_weight=0.0, wgan_lr=5e-5)
    assert one_vs_all.wgan_model_name(clipped) == "wgan_gp_lr5e-05_gp0_clip0.01"
    assert one_vs_all.adgan_variant(clipped)["wgan_clip"] == 0.01
    split = type("S", (), {"normal_class": 3, "seed": 1, "x_train": np.zeros((640, 28, 28))})()
    cfg = one_vs_all.adgan_detector(clipped, split, tmp_path).model_config
    assert (cfg.clip_value, cfg.optimizer, cfg.gp_weight, cfg.learning_rate) == (
        0.01, "rmsprop", 0.0, 5e-5)
    cfg = one_vs_all.adgan_detector(run, split, tmp_path).model_config
    assert (cfg.clip_value, cfg.optimizer) == (0.0, "adam")
    # the first pilot's Keras ε (1e-8, inside the root) keeps its names; PyTorch's equivalent
    # (1e-16) is a variant of its own
    assert cfg.rmsprop_epsilon == 1e-8 == run.wgan_rmsprop_eps
    torch_eps = clipped.replace_given(wgan_rmsprop_eps=1e-16)
    assert one_vs_all.wgan_model_name(torch_eps) == "wgan_gp_lr5e-05_gp0_clip0.01_eps1e-16"
    assert one_vs_all.adgan_detector(torch_eps, split, tmp_path).model_config.rmsprop_epsilon \
        == 1e-16
    with pytest.raises(ValueError, match="no gradient penalty: also set wgan_gp_weight=0"):
        run.replace_given(wgan_clip=0.01)  # λ 10 left on: neither paper's WGAN
    recs = [_holdout(c, 2002, 0.1, 0.9) for c in (5, 8)]
    recs += [{**_holdout(c, 2002, 0.1, 0.8), "wgan_clip": 0.01, "wgan_gp_weight": 0.0}
             for c in (5, 8)]
    md = one_vs_all_report.validation_markdown(recs)
    assert "| 5 | 0 | 2002 | 1 | 0.0001 | gradient-penalty λ 0, critic weight clip 0.01 | 0.1 |" in md


def test_standing_bn_statistics_are_a_holdout_setting_of_their_own():
    recs = [_holdout(c, 2002, 0.1, 0.9) for c in (5, 8)]  # no field: the moving averages
    recs += [{**_holdout(c, 2002, 0.1, 0.95), "bn_stats": "standing"} for c in (5, 8)]
    md = one_vs_all_report.validation_markdown(recs)
    assert "| 5 | 0 | 2002 | 1 | 0.0001 | – | 0.1 | 1e-05 | seed | 5 | 0.9 | moving | 120 | 0.9000 |" in md
    assert "| 5 | 0 | 2002 | 1 | 0.0001 | – | 0.1 | 1e-05 | seed | 5 | 0.9 | standing | 120 | 0.9500 |" in md
    assert "2000 steps, width 1, z 0.1, θ 1e-05, standing BN statistics: 0.9500" in md


def test_a_shared_theta_is_a_holdout_setting_of_its_own():
    """Records with one θ per point are told apart from the paper's θ per seed (records from
    before the field was read have ``share_theta`` False in their search config, or none)."""
    recs = [_holdout(c, 2002, 0.1, 0.9) for c in (5, 8)]  # no share_theta: one θ per seed
    recs += [_holdout(c, 2002, 0.1, 0.95, search={"share_theta": True}) for c in (5, 8)]
    md = one_vs_all_report.validation_markdown(recs)
    assert "| 5 | 0 | 2002 | 1 | 0.0001 | – | 0.1 | 1e-05 | seed | 5 | 0.9 | moving | 120 | 0.9000 |" in md
    assert "| 5 | 0 | 2002 | 1 | 0.0001 | – | 0.1 | 1e-05 | point | 5 | 0.9 | moving | 120 | 0.9500 |" in md
    assert "2000 steps, width 1, z 0.1, θ 1e-05, one θ per point: 0.9500" in md


def test_theta_flag_values_map_to_share_theta_and_refuse_unknown_names():
    assert share_theta_values(["per_seed", "shared"]) == [False, True]
    with pytest.raises(ValueError, match=r"one or more of \['per_seed', 'shared'\], got \['seed'\]"):
        share_theta_values(["seed"])
    with pytest.raises(ValueError, match="one or more of"):
        share_theta_values([])
    assert flag_choices("--bn_stats", ["standing"], one_vs_all.BN_STATS) == ["standing"]
    with pytest.raises(ValueError, match=r"--bn_stats must name one or more of \['moving', "
                                         r"'standing'\], got \['stand'\]"):
        flag_choices("--bn_stats", ["stand"], one_vs_all.BN_STATS)
    with pytest.raises(ValueError, match=r"--bn_stats must name .*, got \[\]"):
        flag_choices("--bn_stats", [], one_vs_all.BN_STATS)


def test_report_is_not_written_for_a_run_whose_adgan_variant_has_no_records(tmp_path, capsys):
    """A run of a new variant (e.g. only its WGAN-GPs trained) leaves the existing report as
    it is instead of writing one whose ADGAN row is empty."""
    store = ResultStore(tmp_path / "r.json")
    store.add([_record("adgan", c, 0, 0.9, None, wgan_steps=2000) for c in range(10)])
    md = tmp_path / "r.md"
    md.write_text("the old report")
    new = one_vs_all.OneVsAllRun(wgan_steps=2000, adgan_z_lr=0.025, adgan_beta_1=0.9,
                                 wgan_lr=3e-4)
    one_vs_all_report.write(store, tmp_path / "r.json", new)
    assert md.read_text() == "the old report"
    assert "report not written" in capsys.readouterr().out
    # the run whose records these are writes it
    one_vs_all_report.write(store, tmp_path / "r.json", new.replace_given(wgan_lr=1e-4))
    assert md.read_text().startswith("# MNIST one-vs-all")


def test_missing_jobs_lists_what_the_runs_adgan_variant_has_not_scored():
    """mnist_adgan.py rewrites the report after a run only when this is empty."""
    run = one_vs_all.OneVsAllRun(wgan_steps=2000, adgan_z_lr=0.1, adgan_beta_1=0.5,
                                 wgan_lr=1e-4)  # the records' (they have no wgan_lr)
    gmm = [_record("gmm", c, s, 0.9, 0.9) for c in range(3) for s in (0, 1)]
    new = [_record("adgan", c, 0, 0.9, wgan_steps=2000, z_lr=0.1, beta_1=0.5) for c in range(3)]
    old = [_record("adgan", c, s, 0.9, wgan_steps=2000, z_lr=0.1) for c in range(3)
           for s in (0, 1)]
    old.append(_record("adgan", 3, 0, 0.9, wgan_steps=2000, z_lr=0.1))  # only ADGAN scored it
    assert one_vs_all_report.missing_jobs(gmm + new + old, run) == [(0, 1), (1, 1), (2, 1)]
    assert one_vs_all_report.missing_jobs(gmm + new + old, run.replace_given(
        adgan_beta_1=0.9)) == []  # the β₁ 0.9 variant is complete
    assert one_vs_all_report.missing_jobs(gmm, run) == [(c, s) for c in range(3) for s in (0, 1)]
    assert one_vs_all_report.missing_jobs([], run) == []
