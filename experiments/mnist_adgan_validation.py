"""ADGAN's search settings on the *holdout* set (training-set digits only, never test items).

For a trained WGAN-GP of experiments/mnist_adgan.py, scores a balanced sample
of the job's holdout set (held-out digits of the normal class and training
digits of the other classes) with each θ learning rate given, and records the
ROC-AUC, that of the starts alone (no search) and the search speed in
``experiments/results/mnist_adgan_validation.json``. This is where a search
setting may be checked or chosen; the test split plays no part.

    python experiments/mnist_adgan_validation.py --classes=0 --seeds=0 --theta_lrs=1e-5,1e-4
"""

import time

import numpy as np
from absl import app, flags

from tfgan_ad.runs import set_threads

FLAGS = flags.FLAGS
flags.DEFINE_list("classes", ["0"], "normal classes")
flags.DEFINE_list("seeds", ["0"], "seeds")
flags.DEFINE_list("theta_lrs", ["1e-5"], "θ learning rates to score")
flags.DEFINE_integer("n", 80, "holdout images scored (half normal)")
flags.DEFINE_integer("threads", 0, "TensorFlow threads (0 = default)")
flags.DEFINE_string("workdir", "experiments/work", "checkpoints")
flags.DEFINE_string("out", "experiments/results/mnist_adgan_validation.json", "results file")


def main(_):
    set_threads(FLAGS.threads)
    import dataclasses

    from tfgan_ad import metrics
    from tfgan_ad.data.mnist import load_mnist_files, one_vs_all_split, train_test_files
    from tfgan_ad.runs import one_vs_all
    from tfgan_ad.runs.results import ResultStore, machine, now

    run = one_vs_all.OneVsAllRun()
    files = train_test_files(load_mnist_files())
    store = ResultStore(FLAGS.out)
    for seed in map(int, FLAGS.seeds):
        for c in map(int, FLAGS.classes):
            split = one_vs_all_split(*files, c, seed, n_test=run.n_test)
            rng = np.random.default_rng([seed, c, 17])
            y = split.y_holdout
            idx = np.sort(np.concatenate([
                rng.choice(np.flatnonzero(y == 0), FLAGS.n // 2, replace=False),
                rng.choice(np.flatnonzero(y == 1), FLAGS.n - FLAGS.n // 2, replace=False)]))
            det = one_vs_all.adgan_detector(run, split, FLAGS.workdir)
            det.threshold_sample = 1
            det.fit(split.x_train)  # restores the trained WGAN-GP
            for lr in map(float, FLAGS.theta_lrs):
                det.search_config = dataclasses.replace(det.search_config, theta_learning_rate=lr)
                t0 = time.perf_counter()
                res = det.search(split.x_holdout[idx])
                sec = time.perf_counter() - t0
                rec = {"experiment": "adgan_holdout", "normal_class": c, "seed": seed,
                       "theta_learning_rate": lr, "n_scored": len(idx),
                       "generator_steps": det.trainer.global_step,
                       "roc_auc": metrics.roc_auc(y[idx], res["score"]),
                       "roc_auc_starts_only": metrics.roc_auc(
                           y[idx], res["initial_losses"].mean(1)),
                       "mean_loss_drop": float(1 - res["score"].mean()
                                               / res["initial_losses"].mean()),
                       "seconds": sec, "search": det.search_config.to_dict(),
                       "machine": machine(), "date": now()}
                store.add([rec])
                print({k: rec[k] for k in ("normal_class", "seed", "theta_learning_rate",
                                           "roc_auc", "roc_auc_starts_only", "mean_loss_drop",
                                           "seconds")}, flush=True)


if __name__ == "__main__":
    app.run(main)
