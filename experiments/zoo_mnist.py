"""Build the MNIST zoo entries: ``bigan_mnist_<d>`` (EGBAD BiGAN, digit d = anomaly)
and ``adgan_mnist_<c>`` (ADGAN, class c = normal, ``--family=adgan``).

Each entry is the seed-0 model of experiments/mnist_egbad.py for that digit
(its finished checkpoint is restored, nothing is retrained), scored with FM
(the EGBAD paper finds FM the better L_D on MNIST; fixed in advance). A model
is ~48 MB (12.05 M float32 weights: E 1.35 M, G 6.80 M, D 3.91 M), so the
digits published are chosen by the size budget, not by results:
``--digits`` (default 0,1).

    python experiments/zoo_mnist.py --digits=0,1 --version=1

ADGAN entries are the seed-0 WGAN-GPs of experiments/mnist_adgan.py (restored,
not retrained), generator only (the critic plays no part in the score, and
3.4 MB of float32 weights keeps the entry small); the search runs in the
exported graph without XLA, so any TensorFlow build serves it. Class 0 is
published (the first class, chosen before any result was seen).

    python experiments/zoo_mnist.py --family=adgan --digits=0 --version=1 \
        --wgan_steps=1000 --adgan_z_lr=0.025 --adgan_beta_1=0.9 --wgan_lr=1e-4

(version 1 of ``adgan_mnist_0`` is the experiment's first ADGAN variant, 1000
WGAN-GP steps at Adam step 1e-4, z step 0.025 and Keras's Adam β₁ 0.9; without the
flags the script publishes the :class:`~tfgan_ad.runs.one_vs_all.OneVsAllRun`
defaults, as version 2 does:

    python experiments/zoo_mnist.py --family=adgan --digits=0 --version=2
)
"""

import json
import os
import time
from dataclasses import asdict

import numpy as np
from absl import app, flags

from tfgan_ad import metrics, zoo
from tfgan_ad.data.mnist import egbad_split, load_mnist, to_pixels
from tfgan_ad.runs import mnist, require_checkpoint
from tfgan_ad.runs.results import machine, now
from tfgan_ad.runs.wgan_settings import define_wgan_flags, wgan_settings_of

FLAGS = flags.FLAGS
flags.DEFINE_enum("family", "bigan", ["bigan", "adgan"], "which models to publish")
flags.DEFINE_bool("replace", False, "make a new --version the registry entry of a model "
                  "already listed (the old version's files stay)")
flags.DEFINE_list("digits", ["0", "1"], "anomalous digits (bigan) or normal classes (adgan)")
flags.DEFINE_integer("seed", 0, "split and training seed (fixed in advance)")
flags.DEFINE_integer("epochs", 3, "the epochs of the experiment run to publish")
flags.DEFINE_integer("version", 1, "SavedModel version (never overwritten)")
flags.DEFINE_string("workdir", "experiments/work", "experiment checkpoints")
flags.DEFINE_integer("wgan_steps", None, "ADGAN: WGAN-GP steps of the experiment variant "
                     "(default: OneVsAllRun's)")
flags.DEFINE_float("adgan_z_lr", None, "ADGAN: search z step of the variant (default: OneVsAllRun's)")
flags.DEFINE_float("adgan_beta_1", None, "ADGAN: search Adam β₁ of the variant "
                   "(default: OneVsAllRun's)")
define_wgan_flags(flags, of=" of the ADGAN variant")

#: the signatures of every MNIST zoo model, for its card
IMAGE_IO = {"inputs": {"serving_default": "pixels: uint8 [N, 28, 28], 0-255",
                       "score_features": "features: float32 [N, 28, 28, 1] in [-1, 1]"},
            "outputs": {"score": "float32 [N], higher = more anomalous",
                        "is_anomaly": "int32 [N], 1 where score >= threshold"}}


def publish_adgan(c: int):
    from tfgan_ad.data.mnist import load_mnist_files, one_vs_all_split, train_test_files
    from tfgan_ad.runs import one_vs_all
    name = f"adgan_mnist_{c}"
    zoo.check_publishable(name, FLAGS.version, FLAGS.replace)  # before the fit
    run = one_vs_all.OneVsAllRun().replace_given(wgan_steps=FLAGS.wgan_steps,
                                                 adgan_z_lr=FLAGS.adgan_z_lr,
                                                 adgan_beta_1=FLAGS.adgan_beta_1,
                                                 **wgan_settings_of(FLAGS))
    files = train_test_files(load_mnist_files())
    split = one_vs_all_split(*files, c, FLAGS.seed, n_test=run.n_test)
    det = one_vs_all.adgan_detector(run, split, FLAGS.workdir)
    require_checkpoint(det, f"no finished experiment run for class {c}: run "
                            "experiments/mnist_adgan.py first", n_train=len(split.x_train))
    det.threshold_sample = 64  # more training images than the experiment's, for a deployable threshold
    det.fit(split.x_train)  # restores the finished checkpoint; sets threshold_
    sample = one_vs_all.search_sample(split, run.search_sample)
    card = {
        "name": name,
        "summary": f"ADGAN on MNIST: digit {c} is normal, every other digit is an anomaly",
        "paper": "Deecke et al., Image Anomaly Detection with Generative Adversarial "
                 "Networks, ECML-PKDD 2018",
        "dataset": "MNIST: the training-set digits of the class train, the test set is scored",
        "protocol": f"one_vs_all_split(normal_class={c}, seed={FLAGS.seed}): the class's "
                    f"training digits minus a 10% holdout train; {run.n_test} random test-set "
                    f"items form the test split, of which search_sample() scores {len(sample)}",
        "n_train": len(split.x_train), "n_test": len(split.y_test), "n_scored": len(sample),
        "image_shape": [28, 28, 1],
        "preprocessing": "pixels / 127.5 - 1 (in the graph for uint8 input)",
        "run": asdict(run), "seed": FLAGS.seed, "generator_steps": det.trainer.global_step,
        "model": det.model_config.to_dict(), "search": det.search_config.to_dict(),
        "weights": "EMA of the generator's trainable weights, decay 0.999 with warm-up; "
                   "BatchNorm moving statistics as trained (not averaged); critic not exported",
        "threshold": det.threshold_,
        "threshold_rule": "metrics.contamination_threshold(scores of 64 training images, "
                          "0.01): no test data",
        "cost": "64 seeds x 5 Adam steps on z and the generator weights per image; "
                "metrics.served_images_per_second below, benchmarks/results/adgan_speed.json",
        **IMAGE_IO,
        "library_versions": machine(),
    }
    experiment_file = one_vs_all.score_file(FLAGS.workdir, one_vs_all.adgan_file_stem(run), c,
                                            FLAGS.seed)
    if not experiment_file.exists():  # checked before anything is published
        raise FileNotFoundError(f"{experiment_file}: the experiment has not scored this ADGAN "
                                "variant; run experiments/mnist_adgan.py with the same flags first")
    zoo.publish(det, name, FLAGS.version, card, replace=FLAGS.replace)
    model = zoo.load(name)
    pixels = to_pixels(split.x_test[sample])
    load_before = os.getloadavg()[0]  # other processes on the CPUs slow the timing down
    t0 = time.perf_counter()
    scores = model.score(pixels)  # the first call includes loading and tracing the graph
    served_s = time.perf_counter() - t0
    y = split.y_test[sample]
    fixed = metrics.prf_at_threshold(y, scores, model.threshold)
    experiment = np.load(experiment_file)
    card["metrics"] = {
        "date": now(), "scored_test_images": len(y), "seed": FLAGS.seed,
        "served_seconds": served_s, "served_images_per_second": len(y) / served_s,
        "timing_note": "zoo.load(...).score of all scored images in one call, no XLA, "
                       "on the machine in library_versions; load_average_before is the "
                       "1-minute load average just before (other jobs sharing the CPUs)",
        "load_average_before": load_before,
        "roc_auc": metrics.roc_auc(y, scores), "auprc": metrics.auprc(y, scores),
        "first_scores": [float(v) for v in scores[:8]],
        "stored_threshold": {k: fixed[k] for k in ("precision", "recall", "f1",
                                                   "flagged_fraction")},
        "scores_match_experiment": bool(np.allclose(scores, experiment["score"],
                                                    rtol=1e-4, atol=1e-4)),
    }
    registry = zoo.registry(name)
    registry["card"] = card
    zoo.write_registry(name, registry)
    print(name, json.dumps(card["metrics"], indent=1), flush=True)


def main(_):
    family = "adgan_mnist" if FLAGS.family == "adgan" else "bigan_mnist"
    for d in map(int, FLAGS.digits):  # every name first: none trained if any is refused
        zoo.check_publishable(f"{family}_{d}", FLAGS.version, FLAGS.replace)
    if FLAGS.family == "adgan":
        for c in map(int, FLAGS.digits):
            publish_adgan(c)
        return
    images, labels = load_mnist()
    run = mnist.MNISTRun(epochs=FLAGS.epochs)
    for digit in map(int, FLAGS.digits):
        name = f"bigan_mnist_{digit}"
        zoo.check_publishable(name, FLAGS.version, FLAGS.replace)  # before the fit
        split = egbad_split(images, labels, digit, FLAGS.seed)
        det = mnist.bigan_detector(run, digit, FLAGS.seed, FLAGS.workdir, variant="fm")
        require_checkpoint(det, f"no finished experiment run for digit {digit}: run "
                                "experiments/mnist_egbad.py first", n_train=len(split.x_train))
        det.fit(split.x_train)  # restores the finished checkpoint; sets threshold_
        card = {
            "name": name,
            "summary": f"EGBAD BiGAN on MNIST: digit {digit} is the anomaly, the other nine "
                       "digits are normal",
            "paper": "Zenati et al., Efficient GAN-Based Anomaly Detection, arXiv 1802.06222",
            "dataset": f"MNIST, every images/labels pair in the data directory pooled "
                       f"({len(labels)} digits here; 70,000 with the canonical download)",
            "protocol": f"egbad_split(digit={digit}, seed={FLAGS.seed}): 80% of the normal "
                        "digits train, 20% of them plus every anomalous digit test",
            "n_train": len(split.x_train), "n_test": len(split.y_test),
            "image_shape": [28, 28, 1],
            "preprocessing": "pixels / 127.5 - 1 (in the graph for uint8 input)",
            "run": asdict(run), "seed": FLAGS.seed, "epochs": run.epochs,
            "model": det.model_config.to_dict(), "score": det.score_config.to_dict(),
            "weights": f"EMA of the trainable weights, decay {run.ema_decay} with warm-up; "
                       "BatchNorm moving statistics as trained (not averaged)",
            "threshold": det.threshold_,
            "threshold_rule": "metrics.contamination_threshold(training scores, 0.01): no "
                              "test data",
            **IMAGE_IO,
            "library_versions": machine(),
        }
        zoo.publish(det, name, FLAGS.version, card, replace=FLAGS.replace)
        model = zoo.load(name)
        pixels = to_pixels(split.x_test)
        scores = model.score(pixels)
        y = split.y_test
        fixed = metrics.prf_at_threshold(y, scores, model.threshold)
        card["metrics"] = {
            "date": now(), "test_images": len(y), "seed": FLAGS.seed,
            "auprc": metrics.auprc(y, scores), "roc_auc": metrics.roc_auc(y, scores),
            "stored_threshold": {k: fixed[k] for k in ("precision", "recall", "f1",
                                                       "flagged_fraction")},
            "scores_match_detector": bool(np.allclose(scores, det.score_samples(split.x_test),
                                                      rtol=1e-4, atol=1e-4)),
        }
        registry = zoo.registry(name)
        registry["card"] = card
        zoo.write_registry(name, registry)
        print(name, json.dumps(card["metrics"], indent=1), flush=True)


if __name__ == "__main__":
    app.run(main)
