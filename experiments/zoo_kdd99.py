"""Build the KDD99 zoo entries ``bigan_kdd99`` and ``anogan_kdd99``: train, export,
evaluate, register.

The recipe (``stable``), the seed (0) and the score variant are fixed here in
advance; nothing is chosen by looking at test scores. The checkpoint
directories are the ones experiments/kdd99_bigan.py and kdd99_anogan.py use
for the same recipe, seed and epochs, so a finished experiment run is reused
rather than retrained.

    python experiments/zoo_kdd99.py --model=bigan --version=1
    python experiments/zoo_kdd99.py --model=anogan --version=1
"""

import dataclasses
import json
import time

import numpy as np
from absl import app, flags

from tfgan_ad import metrics, recipes, zoo
from tfgan_ad.runs import kdd99
from tfgan_ad.runs.results import machine, now

FLAGS = flags.FLAGS
flags.DEFINE_string("recipe", "stable", "training recipe")
flags.DEFINE_integer("seed", 0, "split and training seed (fixed in advance)")
flags.DEFINE_integer("epochs", None, "training epochs (default: the recipe's own)")
flags.DEFINE_integer("version", 1, "SavedModel version number (never overwritten)")
flags.DEFINE_enum("model", "bigan", ["bigan", "anogan"], "EGBAD BiGAN or AnoGAN")
flags.DEFINE_enum("variant", "sigma", ["sigma", "fm"], "L_D of the score (EGBAD Table 1 "
                  "reports AnoGAN with σ)")
flags.DEFINE_string("name", None, "zoo name (default <model>_kdd99)")
flags.DEFINE_string("workdir", "experiments/work", "checkpoints")
flags.DEFINE_bool("replace", False, "make a new --version the registry entry of a model "
                  "already listed (the old version's files stay; a version is never "
                  "overwritten)")
flags.DEFINE_bool("measure_only", False, "re-measure the published model's card metrics "
                  "through zoo.load; export nothing")
flags.DEFINE_bool("check_detector", False, "with --measure_only: also restore the detector "
                  "and compare its scores with the published model's")


def main(_):
    name = FLAGS.name or f"{FLAGS.model}_kdd99"
    split = kdd99.get_split(FLAGS.seed)
    if FLAGS.measure_only:
        card = zoo.registry(name)["card"]
        det = detector(split)[0] if FLAGS.check_detector else None
    else:
        card, det = build(name, split)
    measure(name, card, split, det)


def detector(split):
    """The fitted detector (restored from the experiment's checkpoints when finished)."""
    recipe = recipes.get(FLAGS.recipe)
    recipe.score = dataclasses.replace(recipe.score, variant=FLAGS.variant)
    epochs = FLAGS.epochs or recipe.train.epochs
    if FLAGS.model == "bigan":
        det, fit_s = kdd99.train_detector(recipe, split, FLAGS.seed, epochs, FLAGS.workdir)
        summary = "EGBAD BiGAN on KDD Cup 99 raw records (normal. traffic = anomaly)"
        extra = {"score": recipe.score.to_dict()}
    else:
        det = kdd99.anogan_detector(recipe, FLAGS.seed, epochs, FLAGS.workdir, FLAGS.variant)
        t0 = time.time()
        det.fit(split.train)
        fit_s = time.time() - t0
        summary = ("AnoGAN (GAN + 500-step latent search per record, in the graph) on KDD Cup "
                   "99 raw records (normal. traffic = anomaly); EGBAD's baseline")
        extra = {"search": det.search_config.to_dict(), "search_seed": det.search_seed,
                 "threshold_rows_scored": det.threshold_sample,
                 "paper": "Schlegl et al., AnoGAN, IPMI 2017; as run in EGBAD Table 1"}
    return det, fit_s, recipe, epochs, summary, extra


def build(name, split):
    zoo.check_publishable(name, FLAGS.version, FLAGS.replace)  # before the fit
    det, fit_s, recipe, epochs, summary, extra = detector(split)
    card = {
        "name": name,
        "summary": summary,
        "paper": "Zenati et al., Efficient GAN-Based Anomaly Detection, arXiv 1802.06222",
        "dataset": "KDD Cup 99, 10 percent file (494,021 records), SHA-256 "
                   "7bfaa8cef1350f72842018c32893e2fa4539d57efbb22f998eb74ecefc3da3b4",
        "protocol": f"paper_split(seed={FLAGS.seed}): 50/50 split, train on non-normal. rows "
                    "of the training half, test half with normal. at 20%",
        "n_train": len(split.train), "n_test": len(split.test), "n_features": 121,
        "preprocessing": det.preprocessor.get_config()["scaling"],
        "recipe": recipe.to_dict(), "seed": FLAGS.seed, "epochs": epochs,
        "weights": f"EMA of the trainable weights, decay {recipe.model.ema_decay}",
        "threshold": det.threshold_,
        "threshold_rule": "metrics.contamination_threshold(training scores, "
                          f"{recipe.contamination}): halfway between the "
                          f"{100 * (1 - recipe.contamination):g}th percentile of the training "
                          "rows' scores and the next higher training score; no test data",
        "inputs": {"serving_default": "records: string [N], one CSV line of the 41 KDD fields",
                   "score_records": "continuous: float32 [N, 34], categorical: string [N, 7]",
                   "score_features": "features: float32 [N, 121]"},
        "outputs": {"score": "float32 [N], higher = more anomalous",
                    "is_anomaly": "int32 [N], 1 where score >= threshold"},
        "library_versions": machine(),
        "build_fit_seconds": fit_s,
        "build_fit_note": "seconds fit() took in this build script; when it restores the "
                          "finished checkpoints of experiments/kdd99_bigan.py it trains nothing",
        "restarts": det.restarts_,
        **extra,
    }
    zoo.publish(det, name, FLAGS.version, card, replace=FLAGS.replace)
    return card, det


def measure(name, card, split, det=None):
    """Card metrics measured through the zoo, exactly as a user loads the model."""
    model = zoo.load(name)
    scores = model.score(split.test)
    y = split.y_test
    # the AnoGAN search is slow: compare the exported graph with Python on 20,000 rows
    n_check = len(y) if FLAGS.model == "bigan" else 20000
    first = split.test.take(slice(0, 2000))
    first_scores = model.score(first)  # as tests/test_zoo_models.py scores them
    top = metrics.prf_top_fraction(y, scores, 0.2)
    fixed = metrics.prf_at_threshold(y, scores, model.threshold)
    card["metrics"] = {
        "date": now(), "test_rows": len(y), "seed": FLAGS.seed,
        "test_top20": {k: top[k] for k in ("precision", "recall", "f1")},
        "stored_threshold": {k: fixed[k] for k in ("precision", "recall", "f1",
                                                   "flagged_fraction")},
        "auprc": metrics.auprc(y, scores), "roc_auc": metrics.roc_auc(y, scores),
        # what tests/test_zoo_models.py re-checks quickly
        "first_2000_test_rows": {"auprc": metrics.auprc(first.is_anomaly, first_scores),
                                 "mean_score": float(np.mean(first_scores))},
    }
    if det is not None:
        ref = det.score_samples(split.test.take(slice(0, n_check)))
        rel = np.abs(scores[:n_check] - ref) / np.maximum(np.abs(ref), 1e-12)
        # BiGAN: one forward pass, equal to float rounding. AnoGAN: 500 Adam steps
        # amplify last-bit differences (batch-size-dependent kernels, graph vs eager
        # preprocessing) into relative differences of ~1e-3 on a few rows.
        tol = 1e-5 if FLAGS.model == "bigan" else 1e-2
        card["metrics"].update({
            "scores_match_detector": bool(rel.max() <= tol),
            "scores_match_detector_rows": n_check, "scores_match_tolerance_rel": tol,
            "scores_vs_detector_max_rel_diff": float(rel.max()),
            "scores_vs_detector_rows_above_1e-5_rel": float((rel > 1e-5).mean())})
    else:
        old = zoo.registry(name)["card"].get("metrics", {})
        for k in old:
            if k.startswith("scores_"):
                card["metrics"][k] = old[k]
    registry = zoo.registry(name)
    registry["card"] = card
    zoo.write_registry(name, registry)
    print(json.dumps(card["metrics"], indent=1))


if __name__ == "__main__":
    app.run(main)
