"""Markdown table and ROC plot of the one-vs-all experiment, from its JSON file alone.

Writes beside the JSON: ``mnist_adgan.md`` (ROC-AUC per normal class, mean ±
sample std over seeds, on the search sample every method scored, and on all
test items for the methods that scored them) and ``mnist_adgan_roc.png`` (the
ROC curve on the sample, TPR averaged over classes and seeds at fixed FPR, as
ADGAN Figure 3).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from tfgan_ad.runs.one_vs_all import FPR_GRID
from tfgan_ad.runs.results import mean_std

METHODS = (("adgan", "ADGAN"), ("anogan", "AnoGAN (FM)"), ("bigan_sigma", "BiGAN σ"),
           ("bigan_fm", "BiGAN FM"), ("kde", "KDE (PCA)"), ("ocsvm", "OC-SVM (PCA)"),
           ("isolation_forest", "IF (PCA)"), ("gmm", "GMM (PCA)"))
BASELINES = ("kde", "ocsvm", "isolation_forest", "gmm")


def _auc(rec: dict, on_sample: bool):
    return rec["sample"]["roc_auc"] if on_sample else rec.get("roc_auc")


def _collect(records, on_sample: bool):
    by = defaultdict(list)       # (method, class) -> [auc over seeds]
    per_seed = defaultdict(dict)  # (method, seed) -> {class: auc}
    for r in records:
        if r.get("experiment") != "one_vs_all":
            continue
        v = _auc(r, on_sample)
        if v is None:
            continue
        by[(r["method"], r["normal_class"])].append(v)
        per_seed[(r["method"], r["seed"])][r["normal_class"]] = v
    return by, per_seed


def class_means(records, on_sample: bool = True) -> dict:
    """{method: (mean over classes of the per-class seed means, classes, complete seeds' means)}."""
    by, per_seed = _collect(records, on_sample)
    out = {}
    for m, _ in METHODS:
        classes = sorted(c for (mm, c) in by if mm == m)
        if not classes:
            continue
        seeds = [np.mean(list(v.values())) for (mm, s), v in sorted(per_seed.items())
                 if mm == m and len(v) == 10]
        out[m] = (float(np.mean([np.mean(by[(m, c)]) for c in classes])), classes, seeds)
    return out


def _table(records, on_sample: bool) -> str:
    by, _ = _collect(records, on_sample)
    methods = [(m, label) for m, label in METHODS if any(k[0] == m for k in by)]
    head = ["normal class"] + [label for _, label in methods]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for c in range(10):
        cells = [str(c)] + [mean_std(by[(m, c)]) + f" (n={len(by[(m, c)])})" if by[(m, c)]
                            else "—" for m, _ in methods]
        lines.append("| " + " | ".join(cells) + " |")
    means = class_means(records, on_sample)
    cells = []
    for m, _ in methods:
        mean, classes, seeds = means[m]
        cells.append(f"**{mean:.4f}** ({len(classes)} classes"
                     + (f"; per-seed means {mean_std(seeds)}" if seeds else "") + ")")
    lines.append("| **mean** | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _settings(records) -> str:
    rec = next(r for r in records if r.get("experiment") == "one_vs_all")
    run, m = rec["run"], rec["machine"]
    seeds = sorted({r["seed"] for r in records if r.get("experiment") == "one_vs_all"})
    adgan = [r for r in records if r.get("method") == "adgan"]
    jobs = [r for r in records if r.get("experiment") == "one_vs_all"]
    n_train = [r["n_train"] for r in jobs]
    share = [r["anomaly_fraction_test"] for r in jobs]
    lines = [f"- Seeds {seeds}. Per job (normal class, seed): the class's training-set digits "
             f"minus a 10% holdout train ({min(n_train)}-{max(n_train)} images); "
             f"{rec['n_test']} random test-set items are the test split (anomaly share "
             f"{min(share):.3f}-{max(share):.3f}); the searches score a balanced sample of "
             f"{rec['n_sample']} of them (half normal), and every method is scored on it.",
             f"- Machine: {m['host_cpus']} CPUs, {m['processor']}, TensorFlow {m['tensorflow']}, "
             f"scikit-learn {m['scikit_learn']}.",
             f"- Run settings: `{run}`."]
    if adgan:
        steps = sorted({r["generator_steps"] for r in adgan})
        pps = [r["search_points_per_second"] for r in adgan]
        lines.append(f"- ADGAN: WGAN-GP generator steps {steps}; search "
                     f"{np.mean(pps):.2f} test points/s on average (64 seeds × 5 steps, "
                     f"one θ per seed, XLA). Scored by the 64 starts alone (no search), "
                     f"ADGAN's mean ROC-AUC over jobs would be "
                     f"{np.mean([r['sample_start_only']['roc_auc'] for r in adgan]):.4f}, "
                     f"after the search {np.mean([r['sample']['roc_auc'] for r in adgan]):.4f}.")
    return "\n".join(lines)


def _acceptance(records) -> str:
    means = class_means(records, True)
    if "adgan" not in means:
        return "ADGAN has no results yet."
    a = means["adgan"][0]
    rows = []
    for m, label in METHODS:
        if m in means and m != "adgan":
            rows.append(f"- ADGAN {a:.4f} vs {label} {means[m][0]:.4f}: "
                        + ("ADGAN ≥" if a >= means[m][0] else "**ADGAN below**"))
    return "\n".join(rows)


def plot_roc(records, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    curves = defaultdict(list)
    for r in records:
        if r.get("experiment") == "one_vs_all":
            curves[r["method"]].append(r["sample"]["roc_tpr"])
    fig, ax = plt.subplots(figsize=(5.5, 5))
    for m, label in METHODS:
        if curves[m]:
            tpr = np.mean(curves[m], axis=0)
            style = "-" if m in ("adgan", "anogan", "bigan_fm", "bigan_sigma") else "--"
            ax.plot(FPR_GRID, tpr, style, label=f"{label} (n={len(curves[m])})")
    ax.plot([0, 1], [0, 1], ":", color="grey")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title("MNIST one-vs-all, mean over classes and seeds")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write(store, out) -> None:
    records = store.records
    if not records:
        print("no records yet")
        return
    out = Path(out)
    md = ["# MNIST one-vs-all (ADGAN §4.3)", "",
          "Written by `experiments/mnist_adgan.py --report` from `mnist_adgan.json`. "
          "ROC-AUC, anomaly = any class but the normal one. Cells: mean ± sample std "
          "over seeds (n = seeds). The mean row averages the per-class means; "
          "per-seed means are over the 10 classes of one seed.", "",
          _settings(records), "",
          "## On the search sample (every method scored these items)", "",
          _table(records, True), "",
          "## On all test items (the methods cheap enough to score them)", "",
          _table(records, False), "",
          "## ADGAN against every other method (sample, mean over classes)", "",
          _acceptance(records), "",
          "![ROC](mnist_adgan_roc.png)", ""]
    out.with_suffix(".md").write_text("\n".join(md))
    plot_roc(records, out.parent / "mnist_adgan_roc.png")
    print("\n".join(md))
