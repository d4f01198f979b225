"""Markdown table and figures of the MNIST experiment (EGBAD Figure 1), from saved results.

Reads ``experiments/results/mnist_egbad.json`` and the per-job score files in
the work directory; writes ``mnist_egbad.md`` and PNGs beside the JSON:
``mnist_figure1.png`` (AUPRC per digit on the images all three models scored,
bars = mean over seeds, error bars = sample std), ``mnist_pr_curves.png`` (one panel per digit, seed 0),
``mnist_score_histograms.png`` (normal vs anomalous, seed 0) and
``mnist_reconstructions.png`` (x above G(E(x)), seed 0).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from tfgan_ad.runs.mnist import MNISTRun, job_dir
from tfgan_ad.runs.results import ResultStore, mean_std

SERIES = (("bigan", "sigma", "BiGAN σ"), ("bigan", "fm", "BiGAN FM"), ("anogan", "fm", "AnoGAN FM"))


def _auprc(rec: dict, on_sample: bool) -> float:
    return rec["sample"]["auprc"] if on_sample else rec["auprc"]


def _table(records, epochs) -> tuple[str, dict]:
    by = defaultdict(list)  # (model, variant, on_sample, digit) -> values
    for r in records:
        if r.get("epochs") != epochs:
            continue
        for on_sample in (False, True):
            if r["model"] == "anogan" and not on_sample:
                continue
            by[(r["model"], r["variant"], on_sample, r["digit"])].append(_auprc(r, on_sample))
    cols = [(m, v, False, f"{label} (full test)") for m, v, label in SERIES[:2]]
    cols += [(m, v, True, f"{label} (sample)") for m, v, label in SERIES]
    head = ["digit"] + [c[3] for c in cols]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for d in range(10):
        cells = [str(d)] + [mean_std(by[(m, v, s, d)]) + f" (n={len(by[(m, v, s, d)])})"
                            if by[(m, v, s, d)] else "—" for m, v, s, _ in cols]
        lines.append("| " + " | ".join(cells) + " |")
    means = []
    for m, v, s, _ in cols:
        digits = [d for d in range(10) if by[(m, v, s, d)]]
        per_seed = defaultdict(list)
        for r in records:
            if (r.get("epochs") == epochs and r["model"] == m and r["variant"] == v):
                per_seed[r["seed"]].append(_auprc(r, s))
        seed_means = [np.mean(x) for x in per_seed.values() if len(x) == 10]
        means.append(f"{np.mean([np.mean(by[(m, v, s, d)]) for d in digits]):.4f} "
                     f"({len(digits)} digits" + (f"; per-seed means {mean_std(seed_means)}"
                                                 if seed_means else "") + ")"
                     if digits else "—")
    lines.append("| **mean** | " + " | ".join(means) + " |")
    return "\n".join(lines), by


def _figure1(by, path: Path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(10, 4))
    width = 0.27
    for i, (m, v, label) in enumerate(SERIES):
        vals = [by.get((m, v, True, d), []) for d in range(10)]  # all on the same images
        mean = [np.mean(x) if x else np.nan for x in vals]
        std = [np.std(x, ddof=1) if len(x) > 1 else 0.0 for x in vals]
        ax.bar(np.arange(10) + (i - 1) * width, mean, width, yerr=std, capsize=2, label=label)
    ax.set_xticks(range(10))
    ax.set_xlabel("anomalous digit")
    ax.set_ylabel("AUPRC")
    ax.set_ylim(0, 1)
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title("MNIST (20,000-digit pool): AUPRC per anomalous digit on the AnoGAN test "
                 "sample, mean ± std over seeds", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _seed0_figures(run: MNISTRun, workdir, out_dir: Path) -> list[str]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import precision_recall_curve
    files = {d: job_dir(workdir, d, 0, run, "bigan") / "scores.npz" for d in range(10)}
    gan = {d: job_dir(workdir, d, 0, run, "gan") / "scores.npz" for d in range(10)}
    digits = [d for d in range(10) if files[d].exists()]
    if not digits:
        return []
    written = []
    fig, axes = plt.subplots(2, 5, figsize=(15, 6))
    for d in digits:
        ax = axes.flat[d]
        with np.load(files[d]) as z:
            for key, label in (("sigma", "BiGAN σ"), ("fm", "BiGAN FM")):
                p, r, _ = precision_recall_curve(z["y"], z[key])
                ax.plot(r, p, label=label)
        if gan[d].exists():
            with np.load(gan[d]) as z:
                p, r, _ = precision_recall_curve(z["y"], z["fm"])
                ax.plot(r, p, label="AnoGAN FM (sample)")
        ax.set_title(f"anomalous digit {d}")
        ax.set_xlabel("recall")
        ax.set_ylabel("precision")
        ax.set_ylim(0, 1.02)
    axes.flat[0].legend(fontsize=7)
    fig.suptitle("MNIST precision-recall curves, seed 0")
    fig.tight_layout()
    fig.savefig(out_dir / "mnist_pr_curves.png", dpi=90)
    plt.close(fig)
    written.append("mnist_pr_curves.png")

    fig, axes = plt.subplots(2, 5, figsize=(15, 6))
    for d in digits:
        ax = axes.flat[d]
        with np.load(files[d]) as z:
            s, y = z["fm"], z["y"]
        bins = np.linspace(s.min(), np.quantile(s, 0.995), 50)
        ax.hist(s[y == 0], bins, alpha=0.6, density=True, label="normal")
        ax.hist(s[y == 1], bins, alpha=0.6, density=True, label=f"digit {d} (anomaly)")
        ax.set_title(f"BiGAN FM scores, digit {d}")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out_dir / "mnist_score_histograms.png", dpi=90)
    plt.close(fig)
    written.append("mnist_score_histograms.png")

    fig, axes = plt.subplots(2 * len(digits), 16, figsize=(16, 2 * len(digits)))
    axes = np.atleast_2d(axes)
    for row, d in enumerate(digits):
        with np.load(files[d]) as z:
            x, rec = z["x_show"][..., 0], z["recon"][..., 0]
        for j in range(16):
            for k, img in ((0, x[j]), (1, rec[j])):
                ax = axes[2 * row + k, j]
                ax.imshow(img, cmap="gray", vmin=-1, vmax=1)
                ax.set_xticks([])
                ax.set_yticks([])
        axes[2 * row, 0].set_ylabel(f"x (d={d})", fontsize=7)
        axes[2 * row + 1, 0].set_ylabel("G(E(x))", fontsize=7)
    fig.suptitle("BiGAN reconstructions, seed 0: per digit, 8 normal test images then 8 "
                 "anomalous ones (top row x, bottom row G(E(x)))", fontsize=9)
    fig.tight_layout()
    fig.savefig(out_dir / "mnist_reconstructions.png", dpi=70)
    plt.close(fig)
    written.append("mnist_reconstructions.png")
    return written


def write(store: ResultStore, run: MNISTRun, workdir, json_path) -> Path:
    out_dir = Path(json_path).parent
    records = [r for r in store.records if r.get("experiment") == "mnist"]
    table, by = _table(records, run.epochs)
    _figure1(by, out_dir / "mnist_figure1.png")
    figures = ["mnist_figure1.png"] + _seed0_figures(run, workdir, out_dir)
    r0 = next((r for r in records if r.get("epochs") == run.epochs), {})
    mach = r0.get("machine", {})
    mine = [r for r in records if r.get("epochs") == run.epochs]
    an = [r for r in mine if r["model"] == "anogan"]
    ips = float(np.mean([r["search_images_per_second"] for r in an])) if an else float("nan")
    fits = {}
    for r in mine:
        fits[(r["model"], r["digit"], r["seed"])] = r["fit_seconds"] + r.get("search_seconds", 0)
    jobs = {(d, sd) for _, d, sd in fits}
    job_min = sum(fits.values()) / 60 / max(len(jobs), 1)
    md = "\n".join([
        "# MNIST: EGBAD Figure 1 (generated by experiments/mnist_egbad.py)",
        "",
        f"Digit d is the anomaly. Pool: **{r0.get('n_pool')} digits** (every MNIST "
        "images/labels pair in the data directory; 20,000 offline here, 70,000 in the paper); "
        "seeded shuffle, 80% of the other nine digits train "
        f"({sorted({r['n_train'] for r in records})} images), the other 20% plus every d "
        f"form the test set ({sorted({r['n_test'] for r in records})} images). Metric: "
        "AUPRC, anomaly = positive. Cells: mean ± sample std over seeds (n = seeds).",
        "",
        f"Every model: **{run.epochs} epochs (paper: 100)**, forced by CPU time (training one "
        f"conv BiGAN and one conv GAN and the AnoGAN search of one job took {job_min:.0f} "
        "minutes on average, two jobs sharing the two cores), "
        f"Adam {run.learning_rate} (paper 1e-5, too slow for so few steps), β₁ 0.5, batch "
        f"{run.batch_size}, latent {run.latent_dim}, EMA {run.ema_decay} with warm-up, "
        f"dropout {run.dropout} in the BiGAN's D; Tables 3-4 networks; BatchNorm in inference "
        "mode when scoring. These settings were fixed before any MNIST score was seen.",
        "",
        f"AnoGAN's 500-step search took {1 / ips:.2f} s per image here (one thread), so it "
        "scores a seeded sample of "
        f"**{run.anogan_sample} test images per job**, stratified to keep the anomaly share; "
        "the BiGAN is reported on the full test set and on that same sample, and BiGAN vs "
        "AnoGAN is compared on the sample.",
        f"Machine: {mach.get('host_cpus')} CPUs, {mach.get('platform')}, TensorFlow "
        f"{mach.get('tensorflow')}; two jobs at a time, one thread each.",
        "",
        table,
        "",
        "Figures: " + ", ".join(f"[{f}]({f})" for f in figures) + ".",
    ]) + "\n"
    path = Path(json_path).with_suffix(".md")
    path.write_text(md)
    print(f"wrote {path} and {', '.join(figures)}")
    return path
