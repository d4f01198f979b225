"""Does the KDE baseline's bandwidth choice depend on the number of threads?

Fits the one-vs-all KDE baseline's cross-validated bandwidth search (ADGAN §4.2:
10-fold log-likelihood over h ∈ {2^0, …, 2^4}) on the PCA features of one job's
training digits, once limited to one thread and once with the machine's default,
in one process, and scores the fitted KDE on that job's holdout digits (training
digits only, never test items). Writes ``experiments/results/kde_threads.json``.

    TFGAN_AD_DATA=../shared/data python experiments/kde_threads.py --normal_class=3 --seed=0
"""
import json
from pathlib import Path

from absl import app, flags
from threadpoolctl import threadpool_limits

flags.DEFINE_integer("normal_class", 3, "normal digit")
flags.DEFINE_integer("seed", 0, "split and CV seed")
flags.DEFINE_integer("pca_dim", 40, "PCA dimension")
flags.DEFINE_string("out", "experiments/results/kde_threads.json", "results file")
FLAGS = flags.FLAGS


def fit(split, threads):
    from tfgan_ad import metrics
    from tfgan_ad.baselines import KDEDetector, OnPCA
    with threadpool_limits(limits=threads):
        det = OnPCA(KDEDetector(seed=FLAGS.seed), FLAGS.pca_dim, FLAGS.seed).fit(split.x_train)
        cv = det.detector.cv_log_likelihood_
        auc = metrics.roc_auc(split.y_holdout, det.score_samples(split.x_holdout))
    return {"threads": threads or "default", "cv_log_likelihood": [float(v) for v in cv],
            "bandwidth": det.detector.bandwidth_, "holdout_roc_auc": float(auc)}


def main(_):
    from tfgan_ad.data.mnist import load_mnist_files, one_vs_all_split, train_test_files
    from tfgan_ad.baselines import KDEDetector
    from tfgan_ad.runs.results import machine
    split = one_vs_all_split(*train_test_files(load_mnist_files()), FLAGS.normal_class,
                             FLAGS.seed, n_test=5000)
    runs = [fit(split, 1), fit(split, None)]
    res = {"normal_class": FLAGS.normal_class, "seed": FLAGS.seed, "pca_dim": FLAGS.pca_dim,
           "n_train": len(split.x_train), "n_holdout": len(split.y_holdout),
           "bandwidths": list(KDEDetector.BANDWIDTHS), "runs": runs,
           "machine": machine()}  # its native_threads: the default the second fit used
    for r in runs:
        print(f"threads {r['threads']}: bandwidth {r['bandwidth']:.4g}, holdout ROC-AUC "
              f"{r['holdout_roc_auc']:.4f}, CV log-likelihood "
              + " ".join(f"{v:.1f}" for v in r["cv_log_likelihood"]))
    Path(FLAGS.out).write_text(json.dumps(res, indent=1) + "\n")


if __name__ == "__main__":
    app.run(main)
