"""Build the zoo entry ``bigan_kdd99``: train, export, evaluate, register.

The recipe (``stable``) and the seed (0) are fixed here in advance; nothing
is chosen by looking at test scores. The checkpoint directory is the one
experiments/kdd99_bigan.py uses for the same recipe, seed and epochs, so a
finished experiment run is reused rather than retrained.

    python experiments/zoo_bigan_kdd99.py --version=1
"""

import json
import shutil

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
flags.DEFINE_string("name", "bigan_kdd99", "zoo name")
flags.DEFINE_string("workdir", "experiments/work", "checkpoints")
flags.DEFINE_bool("replace", False, "replace an existing registry entry/version")


def main(_):
    name, root = FLAGS.name, zoo.root()
    recipe = recipes.get(FLAGS.recipe)
    split = kdd99.get_split(FLAGS.seed)
    epochs = FLAGS.epochs or recipe.train.epochs
    det, fit_s = kdd99.train_detector(recipe, split, FLAGS.seed, epochs, FLAGS.workdir)
    target = root / "saved_models" / name / str(FLAGS.version)
    if target.exists() and FLAGS.replace:
        shutil.rmtree(target)
    card = {
        "name": name,
        "summary": "EGBAD BiGAN on KDD Cup 99 raw records (normal. traffic = anomaly)",
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
        "score": recipe.score.to_dict(),
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
    }
    zoo.publish(det, name, FLAGS.version, card)

    # measure through the zoo, exactly as a user loads it
    model = zoo.load(name)
    scores = model.score(split.test)
    y = split.y_test
    top = metrics.prf_top_fraction(y, scores, 0.2)
    fixed = metrics.prf_at_threshold(y, scores, model.threshold)
    card["metrics"] = {
        "date": now(), "test_rows": len(y), "seed": FLAGS.seed,
        "test_top20": {k: top[k] for k in ("precision", "recall", "f1")},
        "stored_threshold": {k: fixed[k] for k in ("precision", "recall", "f1",
                                                   "flagged_fraction")},
        "auprc": metrics.auprc(y, scores), "roc_auc": metrics.roc_auc(y, scores),
        "scores_match_detector": bool(np.allclose(scores, det.score_samples(split.test),
                                                  rtol=1e-5, atol=1e-5)),
    }
    registry = zoo.registry(name)
    registry["card"] = card
    zoo.write_registry(name, registry)
    print(json.dumps(card["metrics"], indent=1))


if __name__ == "__main__":
    app.run(main)
