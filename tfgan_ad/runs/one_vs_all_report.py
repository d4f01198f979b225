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
from typing import NamedTuple

import numpy as np

from tfgan_ad.runs.one_vs_all import (
    BASE_SAMPLE,
    FPR_GRID,
    LEGACY_BETA_1,
    MOVING_STATS,
    WGAN_SETTINGS,
    OneVsAllRun,
    has_adgan,
    record_beta_1,
    record_variant,
    record_wgan_settings,
    run_variant,
)
from tfgan_ad.runs.results import mean_std, seed_interval
from tfgan_ad.scoring.adgan import ADGANSearchConfig

_SEARCH = ADGANSearchConfig()  # the search's k a record without it used

METHODS = (("adgan", "ADGAN"), ("anogan", "AnoGAN (FM)"), ("bigan_sigma", "BiGAN σ"),
           ("bigan_fm", "BiGAN FM"), ("kde", "KDE (PCA)"), ("ocsvm", "OC-SVM (PCA)"),
           ("isolation_forest", "IF (PCA)"), ("gmm", "GMM (PCA)"))
BASELINES = ("kde", "ocsvm", "isolation_forest", "gmm")


def _wgan_parts(wgan: tuple, always=("wgan_lr",)) -> list[tuple[str, str, object]]:
    """(tag, label, value) of the :data:`WGAN_SETTINGS` values not at their legacy value, and
    of those named in ``always`` whatever their value."""
    return [(st.tag, st.label, v) for st, v in zip(WGAN_SETTINGS, wgan)
            if v != st.legacy or st.field in always]


def _variant_key(variant: tuple) -> str:
    steps, z, beta_1, wgan = variant
    parts = {tag: v for tag, _, v in _wgan_parts(wgan, always=())}
    return (f"adgan@{steps}/{z:g}" + (f"/w{parts.pop('w')}" if "w" in parts else "")
            + ("" if beta_1 == LEGACY_BETA_1 else f"/b1={beta_1:g}")
            + "".join(f"/{tag}={v:g}" for tag, v in parts.items()))


def _variant_label(variant: tuple) -> str:
    steps, z, beta_1, wgan = variant
    nets = "".join(f", {label} {v:g}" for _, label, v in _wgan_parts(wgan))
    return f"ADGAN ({steps} WGAN-GP steps{nets}, z step {z:g}, β₁ {beta_1:g})"


def _method(rec: dict, primary: tuple) -> str:
    """The record's row: ADGAN of the run's variant is "adgan", other variants
    "adgan@<steps>/<z step>[/w<width>][/b1=<β₁>][/lr=<WGAN-GP step>]..." (:func:`_variant_key`)."""
    if rec["method"] == "adgan" and record_variant(rec) != primary:
        return _variant_key(record_variant(rec))
    return rec["method"]


def methods(records, primary: tuple) -> list[tuple[str, str]]:
    """(key, label) of the report's rows: :data:`METHODS`, ADGAN's other variants right after
    the run's own."""
    others = sorted({record_variant(r) for r in records if r.get("method") == "adgan"} - {primary})
    out = []
    for m, label in METHODS:
        if m == "adgan":
            out.append((m, _variant_label(primary)))
            out += [(_variant_key(v), _variant_label(v)) for v in others]
        else:
            out.append((m, label))
    return out


def _auc(rec: dict, on_sample: bool):
    return rec["sample"]["roc_auc"] if on_sample else rec.get("roc_auc")


def _collect(records, on_sample: bool, primary: tuple):
    by = defaultdict(list)       # (method, class) -> [auc over seeds]
    per_seed = defaultdict(dict)  # (method, seed) -> {class: auc}
    for r in records:
        if r.get("experiment") != "one_vs_all":
            continue
        v = _auc(r, on_sample)
        if v is None:
            continue
        m = _method(r, primary)
        by[(m, r["normal_class"])].append(v)
        per_seed[(m, r["seed"])][r["normal_class"]] = v
    return by, per_seed


def class_means(records, on_sample: bool = True, primary: tuple = None) -> dict:
    """{method: (mean over classes of the per-class seed means, classes, complete seeds' means)}.

    ``primary``: ADGAN's :func:`run_variant` (WGAN-GP steps, z step, search β₁, WGAN-GP
    settings) reported as "adgan" (default: the :class:`OneVsAllRun` defaults); its other
    variants are :func:`_variant_key`'s "adgan@<steps>/<z step>...".
    """
    primary = primary or _primary(None)
    by, per_seed = _collect(records, on_sample, primary)
    out = {}
    for m, _ in methods(records, primary):
        classes = sorted(c for (mm, c) in by if mm == m)
        if not classes:
            continue
        seeds = [np.mean(list(v.values())) for (mm, s), v in sorted(per_seed.items())
                 if mm == m and len(v) == 10]
        out[m] = (float(np.mean([np.mean(by[(m, c)]) for c in classes])), classes, seeds)
    return out


def _table(records, on_sample: bool, primary: tuple) -> str:
    by, _ = _collect(records, on_sample, primary)
    rows = [(m, label) for m, label in methods(records, primary) if any(k[0] == m for k in by)]
    head = ["normal class"] + [label for _, label in rows]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for c in range(10):
        cells = [str(c)] + [mean_std(by[(m, c)]) + f" (n={len(by[(m, c)])})" if by[(m, c)]
                            else "—" for m, _ in rows]
        lines.append("| " + " | ".join(cells) + " |")
    means = class_means(records, on_sample, primary)
    cells = []
    for m, _ in rows:
        mean, classes, seeds = means[m]
        cells.append(f"**{mean:.4f}** ({len(classes)} classes"
                     + (f"; per-seed means {mean_std(seeds)}" if seeds else "") + ")")
    lines.append("| **mean** | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _settings(records, primary: tuple) -> str:
    jobs = [r for r in records if r.get("experiment") == "one_vs_all"]
    adgan = [r for r in jobs if r["method"] == "adgan" and record_variant(r) == primary]
    rec = (adgan or jobs)[0]
    run, m = rec["run"], rec["machine"]
    seeds = sorted({r["seed"] for r in jobs})
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
        lines.append(f"- ADGAN ({len(adgan)} jobs): WGAN-GP generator steps {steps}; search "
                     f"{np.mean(pps):.2f} test points/s on average (64 seeds × 5 steps, "
                     f"z step {primary.z_lr:g}, θ step {adgan[0]['search']['theta_learning_rate']:g}, "
                     f"Adam β₁ {primary.beta_1:g}, "
                     f"one θ per seed, XLA). Scored by the 64 starts alone (no search), "
                     f"ADGAN's mean ROC-AUC over jobs would be "
                     f"{np.mean([r['sample_start_only']['roc_auc'] for r in adgan]):.4f}, "
                     f"after the search {np.mean([r['sample']['roc_auc'] for r in adgan]):.4f}.")
        carried = [r.get("carried_points", 0) for r in adgan]
        if any(carried):
            n = f"{min(carried)}" if min(carried) == max(carried) else \
                f"{min(carried)}-{max(carried)}"
            lines.append(f"- ADGAN's scores of {n} of each job's "
                         f"{rec['n_sample']} items carried over from the same generator's "
                         f"{BASE_SAMPLE}-item run (their search is independent of the other "
                         "points'); the search speed is over the items searched in this run.")
    return "\n".join(lines)


def _job_aucs(records, primary: tuple) -> dict:
    """{row key: {(class, seed): sample ROC-AUC}}."""
    out = defaultdict(dict)
    for r in records:
        if r.get("experiment") == "one_vs_all":
            out[_method(r, primary)][(r["normal_class"], r["seed"])] = r["sample"]["roc_auc"]
    return out


def _mean_over(aucs: dict, jobs) -> float:
    """Mean over the classes of ``jobs`` of each class's mean over its seeds in ``jobs``."""
    by = defaultdict(list)
    for c, s in jobs:
        by[c].append(aucs[(c, s)])
    return float(np.mean([np.mean(v) for v in by.values()]))


def _non_adgan_jobs(aucs: dict) -> set:
    """The (class, seed) jobs any method but ADGAN (of any variant) has scored."""
    return set().union(*(set(v) for m, v in aucs.items() if not m.startswith("adgan")))


def missing_jobs(records, run=None) -> list[tuple[int, int]]:
    """The (class, seed) jobs some method has scored but the ADGAN variant of ``run`` (default:
    the defaults) has not: while any are left, its "ADGAN" row is partial."""
    aucs = _job_aucs(records, _primary(run))
    return sorted(_non_adgan_jobs(aucs) - set(aucs.get("adgan", ())))


def _acceptance(records, primary: tuple) -> str:
    """ADGAN against every other method, each over the jobs both scored (all of them once the
    run is complete; while ADGAN lacks jobs the others have, it says the comparison is partial)."""
    aucs = _job_aucs(records, primary)
    if not aucs.get("adgan"):
        return "ADGAN has no results yet."
    jobs = sorted(aucs["adgan"])
    every = _non_adgan_jobs(aucs)
    rows, short = [], []
    if not every <= set(jobs):
        rows.append(f"**Partial:** ADGAN has scored {len(set(jobs) & every)} of the "
                    f"{len(every)} jobs "
                    f"(classes {sorted({c for c, _ in jobs})}). Every method below is averaged "
                    "over the jobs it shares with ADGAN; this does not judge the full run.")
    for m, label in methods(records, primary):
        shared = sorted(set(jobs) & set(aucs.get(m, ())))
        if m.startswith("adgan") or not shared:
            continue
        a, b = _mean_over(aucs["adgan"], shared), _mean_over(aucs[m], shared)
        higher = sum(aucs["adgan"][j] > aucs[m][j] for j in shared)
        rows.append(f"- ADGAN {a:.4f} vs {label} {b:.4f} ({len(shared)} job{'s' if len(shared) != 1 else ''}): "
                    + ("ADGAN ≥" if a >= b else "**ADGAN below**")
                    + f"; ADGAN higher on {higher} of the {len(shared)}"
                    + _difference_interval({j: aucs["adgan"][j] - aucs[m][j] for j in shared}))
        if len(shared) < len(jobs):
            short.append(label)
    if short:
        rows.insert(0, f"**Partial:** {', '.join(short)} ha{'s' if len(short) == 1 else 've'} "
                    f"scored fewer of ADGAN's {len(jobs)} jobs; each is compared over the jobs "
                    "it shares with ADGAN, and this does not judge the full run.")
    return "\n".join(rows)


def _difference_interval(diffs: dict) -> str:
    """"; difference …, 95% interval … to …" from the per-job differences (seed-to-seed
    spread within classes, :func:`tfgan_ad.runs.results.seed_interval`), or "" without it."""
    ci = seed_interval(diffs)
    if ci is None:
        return ""
    d, h = ci
    return f"; difference {d:+.4f}, 95% interval {d - h:+.4f} to {d + h:+.4f}"


def _variants_paired(records, primary: tuple) -> str:
    """Each other ADGAN variant against the run's own, over the jobs both scored."""
    aucs = _job_aucs(records, primary)
    rows = []
    for m, label in methods(records, primary):
        if not m.startswith("adgan@") or not aucs.get("adgan"):
            continue
        jobs = sorted(set(aucs[m]) & set(aucs["adgan"]))
        if not jobs:
            continue
        higher = sum(aucs["adgan"][j] > aucs[m][j] for j in jobs)
        rows.append(f"- {len(jobs)} shared jobs: the run's ADGAN "
                    f"{_mean_over(aucs['adgan'], jobs):.4f}, {label} "
                    f"{_mean_over(aucs[m], jobs):.4f}; the run's higher on {higher} of "
                    f"{len(jobs)} jobs")
    return "\n".join(rows) or "No other ADGAN variant shares a job with the run's."


def plotted(records, primary: tuple) -> list[tuple[str, str]]:
    """(key, label) of the ROC plot's curves: every row with results but ADGAN's other
    variants, except the most complete of those while the run's own ADGAN has fewer jobs (a
    partial curve alone would hide ADGAN's complete result)."""
    n = defaultdict(int)
    for r in records:
        if r.get("experiment") == "one_vs_all":
            n[_method(r, primary)] += 1
    rows = [(m, label) for m, label in methods(records, primary) if n[m]]
    fuller = max((m for m, _ in rows if m.startswith("adgan@")), key=lambda m: n[m],
                 default=None)
    if fuller is not None and n[fuller] <= n["adgan"]:
        fuller = None
    return [(m, label) for m, label in rows if not m.startswith("adgan@") or m == fuller]


def plot_roc(records, path: Path, primary: tuple) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    curves = defaultdict(list)
    for r in records:
        if r.get("experiment") == "one_vs_all":
            curves[_method(r, primary)].append(r["sample"]["roc_tpr"])
    fig, ax = plt.subplots(figsize=(5.5, 5))
    for m, label in plotted(records, primary):
        tpr = np.mean(curves[m], axis=0)
        style = "-" if m.startswith("adgan") or m in ("anogan", "bigan_fm", "bigan_sigma") else "--"
        ax.plot(FPR_GRID, tpr, style, label=f"{label} (n={len(curves[m])})")
    ax.plot([0, 1], [0, 1], ":", color="grey")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title("MNIST one-vs-all, mean over classes and seeds")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _primary(run) -> tuple:
    return run_variant(run or OneVsAllRun())


def write(store, out, run=None) -> None:
    """``run``: the :class:`OneVsAllRun` whose ADGAN variant is the "ADGAN" row (default: the
    defaults); ADGAN's other variants in the records get rows of their own."""
    primary = _primary(run)
    records = store.records
    if not records:
        print("no records yet")
        return
    if not has_adgan(store, run or OneVsAllRun()):
        # its "ADGAN" row would be empty and another variant's settings would head the report
        print(f"no ADGAN record of the run's variant {_variant_label(primary)} yet: "
              "report not written")
        return
    sizes = sorted({r.get("n_sample", BASE_SAMPLE) for r in records
                    if r.get("experiment") == "one_vs_all"})
    if len(sizes) > 1:  # the methods would be compared on different items
        raise ValueError(f"{out} holds jobs scored on search samples of {sizes} items; a "
                         "report needs one size (each size has its own results file)")
    out = Path(out)
    roc = f"{out.stem}_roc.png"
    md = ["# MNIST one-vs-all (ADGAN §4.3)", "",
          f"Written by `experiments/mnist_adgan.py --report` from `{out.name}`. "
          "ROC-AUC, anomaly = any class but the normal one. Cells: mean ± sample std "
          "over seeds (n = seeds). The mean row averages the per-class means; "
          "per-seed means are over the 10 classes of one seed.", "",
          _settings(records, primary), "",
          "## On the search sample (every method scored these items)", "",
          _table(records, True, primary), "",
          "## On all test items (the methods cheap enough to score them)", "",
          _table(records, False, primary), "",
          "## ADGAN against every other method (sample, mean over classes)", "",
          "The difference is ADGAN's mean minus the method's. Its 95% interval is a "
          "t-interval for that difference averaged over seeds, with the classes fixed (all "
          "are scored), from the seed-to-seed spread of the per-job differences within each "
          "class, pooled over the classes (it assumes that spread is alike in every class and "
          "independent between classes). With few seeds per class it is rough; the "
          "acceptance compares the means as they are.", "",
          _acceptance(records, primary), "",
          f"## ADGAN's other variants against the run's ({_variant_label(primary)})", "",
          _variants_paired(records, primary), "",
          f"![ROC]({roc})", ""]
    out.with_suffix(".md").write_text("\n".join(md))
    plot_roc(records, out.parent / roc, primary)
    print("\n".join(md))


#: the WGAN-GP settings with a column of their own in the holdout table
_OWN_COLUMNS = ("wgan_width", "wgan_lr")

#: The fields of :class:`HoldoutSetting`, in its sort order: the WGAN-GP settings come from
#: :data:`WGAN_SETTINGS` (width under its own name), so a new setting needs no edit here.
_HOLDOUT_FIELDS = ([("steps", int),        # WGAN-GP generator steps asked for
                    ("width", int),        # channel multiplier of the DCGAN nets
                    ("z_lr", float),       # search's z step
                    ("theta_lr", float),   # search's θ step
                    ("k", int),            # search steps
                    ("beta_1", float),     # search's Adam β₁
                    ("bn_stats", str),     # G's BatchNorm statistics: "moving" or "standing"
                    ("share_theta", bool)]  # one θ per test point instead of one per seed
                   + [(st.field, st.kind) for st in WGAN_SETTINGS if st.field != "wgan_width"]
                   + [("n_scored", int)])  # holdout images scored


class HoldoutSetting(NamedTuple("_HoldoutFields", _HOLDOUT_FIELDS)):
    """What tells the holdout study's ADGAN records apart (records written before a WGAN-GP
    setting of :data:`WGAN_SETTINGS` was recorded used its legacy value)."""

    __slots__ = ()

    @property
    def wgan_width(self) -> int:
        return self.width

    def label(self) -> str:
        """The setting without ``n_scored``, for the ranking lines."""
        label = f"{self.steps} steps, width {self.width}, z {self.z_lr:g}, θ {self.theta_lr:g}"
        if self.k != _SEARCH.steps:
            label += f", k {self.k}"
        if self.beta_1 != LEGACY_BETA_1:
            label += f", β₁ {self.beta_1:g}"
        if self.bn_stats != MOVING_STATS:
            label += f", {self.bn_stats} BN statistics"
        if self.share_theta:
            label += ", one θ per point"
        label += "".join(f", WGAN-GP {st.label} {v:g}" for st, v in self._changed("wgan_width"))
        return label

    def other_wgan(self) -> str:
        """The WGAN-GP settings without a column of their own (batch, n_critic, the nets'
        Adam β₁, latent size) when not at their legacy values ("–" if none is)."""
        return ", ".join(f"{st.label} {v:g}"
                         for st, v in self._changed(*_OWN_COLUMNS)) or "–"

    def _changed(self, *skip: str) -> list:
        """(setting, value) of the :data:`WGAN_SETTINGS` not at their legacy value, but ``skip``."""
        return [(st, getattr(self, st.field)) for st in WGAN_SETTINGS
                if st.field not in skip and getattr(self, st.field) != st.legacy]


def holdout_setting(rec: dict) -> HoldoutSetting:
    """The :class:`HoldoutSetting` of a holdout record."""
    steps = int(round(rec["generator_steps"], -3)) or rec["generator_steps"]
    search = rec["search"]
    wgan = {st.field: v for st, v in zip(WGAN_SETTINGS, record_wgan_settings(rec))}
    return HoldoutSetting(
        steps=steps, width=wgan.pop("wgan_width"), z_lr=search["learning_rate"],
        theta_lr=search["theta_learning_rate"], k=search.get("steps", _SEARCH.steps),
        beta_1=record_beta_1(rec), bn_stats=rec.get("bn_stats", MOVING_STATS),
        share_theta=bool(search.get("share_theta", False)), n_scored=rec["n_scored"], **wgan)


def _other_wgan_defaults() -> str:
    """"batch 64, n_critic 5, …": the legacy values of the settings in the "other WGAN-GP"
    column of the holdout table."""
    return ", ".join(f"{st.label} {st.legacy:g}" for st in WGAN_SETTINGS
                     if st.field not in _OWN_COLUMNS)


def _diagnostic(rec: dict, key: str) -> str:
    v = rec.get(key)
    return "–" if v is None else f"{v:.2f}"


def validation_markdown(records) -> str:
    """The holdout study of ``experiments/mnist_adgan_validation.py``: every record, and per
    group of jobs scored alike the settings ranked by their mean holdout ROC-AUC.

    Holdout = held-out training digits of the normal class and training digits of the
    others; no test item is involved, so a setting chosen here is a fair choice.
    """
    recs = [r for r in records if r.get("experiment") == "adgan_holdout"]
    lines = ["# ADGAN settings on the holdout set (training digits only)", "",
             "Written by `experiments/mnist_adgan_validation.py --report` from "
             "`mnist_adgan_validation.json`. ROC-AUC on a balanced sample of the job's holdout "
             "set; \"starts only\" scores the 64 starts without any search step; k is the "
             "number of search steps and β₁ Adam's; \"BN statistics\" are the generator's "
             "BatchNorm statistics: the training run's moving averages, or standing ones "
             "recomputed for the EMA weights; \"θ per\" says whether each seed adapts its own "
             "generator weights (seed, the paper's) or a point's seeds share one (point); "
             "\"ink only\" scores an image by its "
             "fraction of bright pixels alone, and ρ(score, ink) is the Spearman correlation "
             "of the ADGAN score with ink among the anomalies (– in records from before "
             "these diagnostics). Generator "
             "steps are rounded to the training length asked for; width is the DCGAN nets' "
             "channel multiplier; \"WGAN-GP Adam\" is both nets' step (RMSprop's, not Adam's, "
             "where a critic weight clip is set); \"other WGAN-GP\" names any other WGAN-GP "
             "setting not at "
             f"its usual value ({_other_wgan_defaults()}). The highest mean is not the "
             "default by itself: `experiments/adgan_pilots.md` states each choice and its "
             "rule.", "",
             "| class | seed | WGAN-GP steps | width | WGAN-GP Adam | other WGAN-GP | z step "
             "| θ step | θ per | k | β₁ | BN statistics | holdout images | ROC-AUC | starts only "
             "| loss drop | ink only | ρ(score, ink) | seconds |",
             "|" + "---|" * 19]
    for r in sorted(recs, key=lambda r: (r["normal_class"], r["seed"], holdout_setting(r))):
        st = holdout_setting(r)
        lines.append(f"| {r['normal_class']} | {r['seed']} | {r['generator_steps']} | {st.width} | "
                     f"{st.wgan_lr:g} | {st.other_wgan()} | {st.z_lr:g} | {st.theta_lr:g} | "
                     f"{'point' if st.share_theta else 'seed'} | {st.k} | {st.beta_1:g} | "
                     f"{st.bn_stats} | {st.n_scored} | "
                     f"{r['roc_auc']:.4f} | {r['roc_auc_starts_only']:.4f} | "
                     f"{r['mean_loss_drop']:.3f} | {_diagnostic(r, 'roc_auc_ink')} | "
                     f"{_diagnostic(r, 'ink_correlation_anomalies')} | {r['seconds']:.0f} |")
    # Each setting was scored on some jobs. For every such job set, rank all the settings
    # scored on (at least) those jobs with the same number of holdout images, by their mean
    # over exactly those jobs: a setting later scored on more jobs stays comparable with the
    # ones it was first compared with.
    by_setting = defaultdict(dict)  # HoldoutSetting -> {(class, seed): auc}
    for r in recs:
        by_setting[holdout_setting(r)][(r["normal_class"], r["seed"])] = r["roc_auc"]
    job_sets = sorted({(st.n_scored, tuple(sorted(jobs))) for st, jobs in by_setting.items()},
                      key=lambda g: (g[0], len(g[1]), g[1]))
    lines += ["", "## Settings ranked by mean holdout ROC-AUC over the same jobs", ""]
    for n, jobs in job_sets:
        settings = {st: [auc[j] for j in jobs] for st, auc in by_setting.items()
                    if st.n_scored == n and set(jobs) <= set(auc)}
        if len(settings) < 2:
            continue
        ranked = sorted(settings.items(), key=lambda kv: -np.mean(kv[1]))
        names = ", ".join(f"class {c} seed {s}" for c, s in jobs)
        lines.append(f"- {names}, {n} holdout images each: " + "; ".join(
            f"{st.label()}: {np.mean(a):.4f}" for st, a in ranked)
            + f". **Highest: {ranked[0][0].label()}.**")
    return "\n".join(lines) + "\n"
