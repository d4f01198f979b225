"""Learning curve of the one-vs-all job on the holdout set: ADGAN and two PCA baselines
trained on a fraction of the normal class's training digits (``experiments/mnist_adgan_data_size.py``).

Only training-set digits are involved: the fraction is drawn from the job's training
digits (one seeded permutation per job, so the smaller sets are nested), every method is
scored on the holdout sample of :func:`one_vs_all.holdout_sample`, and the baselines choose
their PCA dimension on the remaining holdout items. That sample is the one ADGAN's own
settings were compared on (``experiments/mnist_adgan_validation.py``), which favours
ADGAN, most at fraction 1 (the checkpoint setting chosen there).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from pathlib import Path

import numpy as np

from tfgan_ad import baselines, metrics
from tfgan_ad.data.mnist import OneVsAllSplit, one_vs_all_split
from tfgan_ad.runs import one_vs_all
from tfgan_ad.runs.one_vs_all import record_variant, run_variant
from tfgan_ad.runs.one_vs_all_report import HoldoutSetting, holdout_setting
from tfgan_ad.runs.results import machine, now
from tfgan_ad.scoring.adgan import ADGANSearchConfig

BASELINES = ("gmm", "isolation_forest")
_SEARCH = ADGANSearchConfig()
#: θ step of the run's search (ADGANSearchConfig's default; OneVsAllRun leaves it alone)
THETA_LR = _SEARCH.theta_learning_rate


def fraction_split(split: OneVsAllSplit, fraction: float) -> OneVsAllSplit:
    """``split`` with a seeded ``fraction`` of its training digits (the rest unused)."""
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    n = len(split.x_train)
    keep = max(1, int(round(n * fraction)))
    rng = np.random.default_rng([split.seed, split.normal_class, 29])
    idx = np.sort(rng.permutation(n)[:keep])
    return dataclasses.replace(split, x_train=split.x_train[idx])


def _workdir(workdir, fraction: float) -> Path:
    return Path(workdir) / f"fraction{fraction:g}"


def run_fraction(run: one_vs_all.OneVsAllRun, files, normal_class: int, seed: int,
                 fraction: float, n: int, workdir, store) -> list[dict]:
    """Score ADGAN (fraction < 1 only) and :data:`BASELINES` of one (class, seed, fraction) on
    the holdout sample; skip what ``store`` has. Returns the new records."""
    split = one_vs_all_split(*files, normal_class, seed, n_test=run.n_test)
    sub = fraction_split(split, fraction)
    if fraction < 1.0 and len(sub.x_train) < run.wgan_batch:
        raise ValueError(f"fraction {fraction:g} leaves {len(sub.x_train)} training digits of "
                         f"class {normal_class}, fewer than one WGAN-GP batch "
                         f"({run.wgan_batch})")
    idx = one_vs_all.holdout_sample(split, n)
    rest = np.setdiff1d(np.arange(len(split.y_holdout)), idx)
    y = split.y_holdout[idx]
    key = dict(experiment="data_size", normal_class=normal_class, seed=seed, fraction=fraction,
               n_scored=n)
    base = {**key, "n_train": len(sub.x_train), "n_train_full": len(split.x_train),
            "machine": machine()}
    new = []
    if fraction < 1.0 and not one_vs_all.has_adgan(store, run, **key):
        # the run's length in generator steps (its epochs count the smaller set's batches)
        det = one_vs_all.adgan_detector(run, sub, _workdir(workdir, fraction))
        det.threshold_sample = 1
        det.fit(sub.x_train)
        new.append({**base, "method": "adgan", **one_vs_all.adgan_variant(run),
                    **one_vs_all.holdout_search(det, split, idx), "date": now()})
    for name in BASELINES:
        if store.has(**key, method=name):
            continue
        make = lambda: one_vs_all.BASELINES[name](seed=seed)
        det, chosen = baselines.fit_on_best_pca(make, sub.x_train, split.x_holdout[rest],
                                                split.y_holdout[rest], run.pca_dims, seed)
        new.append({**base, "method": name, "pca_dim": det.n_components,
                    "roc_auc": metrics.roc_auc(y, det.score_samples(split.x_holdout[idx])),
                    "selection_roc_auc": {str(k): v for k, v in chosen.items()}, "date": now()})
    store.add(new)
    return new


def _validation_adgan(records, run, n: int) -> dict:
    """{(class, seed): holdout ROC-AUC} of the validation study's records of ``run``'s ADGAN
    setting (its length, width, WGAN-GP Adam step, z step, θ step :data:`THETA_LR`, the
    search's default k and the run's β₁) on ``n`` images: fraction 1."""
    wgan = one_vs_all.wgan_settings_of(run)
    want = HoldoutSetting(steps=run.wgan_steps, width=wgan.pop("wgan_width"), z_lr=run.adgan_z_lr,
                          theta_lr=THETA_LR, k=_SEARCH.steps, beta_1=run.adgan_beta_1,
                          bn_stats=one_vs_all.MOVING_STATS, share_theta=False,
                          n_scored=n, **wgan)
    return {(r["normal_class"], r["seed"]): r["roc_auc"] for r in records
            if r.get("experiment") == "adgan_holdout" and holdout_setting(r) == want}


def markdown(records, validation_records, run: one_vs_all.OneVsAllRun) -> str:
    """Per job and fraction: training digits and each method's holdout ROC-AUC; and the mean
    per fraction over the jobs that have every method at every fraction. One section per
    holdout sample size."""
    recs = [r for r in records if r.get("experiment") == "data_size"]
    lines = ["# Training-set size: ADGAN and the PCA baselines on the holdout set", "",
             "Written by `experiments/mnist_adgan_data_size.py` from "
             "`mnist_adgan_data_size.json`. A seeded fraction of the normal class's training "
             "digits trains each method (the smaller sets are nested); ROC-AUC on the holdout "
             "sample of the validation study (training-set images, half normal). ADGAN: "
             f"{run.wgan_steps} WGAN-GP steps at every size (fewer digits, more epochs), width "
             f"{run.wgan_width}, WGAN-GP Adam step {run.wgan_lr:g}, "
             f"z step {run.adgan_z_lr:g}, θ step {THETA_LR:g}, search Adam β₁ "
             f"{run.adgan_beta_1:g}; at fraction 1 "
             "its value is the validation study's record of the same checkpoint setting. "
             "ADGAN's settings "
             "were compared on these same holdout images, which favours it, most at fraction 1. "
             "The baselines choose their PCA dimension on the other holdout items."]
    for n in sorted({r["n_scored"] for r in recs}):
        lines += _section([r for r in recs if r["n_scored"] == n], validation_records, run, n)
    return "\n".join(lines) + "\n"


def _section(recs, validation_records, run, n: int) -> list[str]:
    table = defaultdict(dict)   # (class, seed, fraction) -> {method: auc}
    n_train = {}
    for r in recs:
        if r["method"] == "adgan" and record_variant(r) != run_variant(run):
            continue
        k = (r["normal_class"], r["seed"], r["fraction"])
        table[k][r["method"]] = r["roc_auc"]
        n_train[k] = r["n_train"]
    for (c, s), auc in _validation_adgan(validation_records, run, n).items():
        if (c, s, 1.0) in table:
            table[(c, s, 1.0)]["adgan"] = auc
    methods = ("adgan",) + BASELINES
    names = {"adgan": "ADGAN", "gmm": "GMM (PCA)", "isolation_forest": "IF (PCA)"}
    lines = ["", f"## {n} holdout images per job", "",
             "| class | seed | fraction | training digits | "
             + " | ".join(names[m] for m in methods) + " |", "|" + "---|" * (4 + len(methods))]
    for k in sorted(table):
        cells = [f"{table[k][m]:.4f}" if m in table[k] else "—" for m in methods]
        lines.append(f"| {k[0]} | {k[1]} | {k[2]:g} | {n_train[k]} | " + " | ".join(cells) + " |")
    jobs = {(c, s) for c, s, _ in table}
    fractions = sorted({f for _, _, f in table})
    full = sorted(j for j in jobs if all(set(methods) <= set(table.get((*j, f), {}))
                                         for f in fractions))
    if full and len(fractions) > 1:
        lines += ["", f"Mean over the jobs with every method at every fraction "
                      f"({', '.join(f'class {c} seed {s}' for c, s in full)}):", "",
                  "| fraction | " + " | ".join(names[m] for m in methods) + " |",
                  "|" + "---|" * (1 + len(methods))]
        for f in fractions:
            lines.append(f"| {f:g} | " + " | ".join(
                f"{np.mean([table[(*j, f)][m] for j in full]):.4f}" for m in methods) + " |")
    return lines
