"""Why AnoGAN's FM score is inverted on some one-vs-all MNIST classes: its generator's ink.

For each job of experiments/mnist_adgan.py, restores AnoGAN's GAN (nothing is
trained) and records the share of "ink" pixels (value > 0 on the [-1, 1]
scale) in 256 generator samples, in the job's training digits, and in its
normal and anomalous test items, beside AnoGAN's mean score on the normal and
the anomalous items of the search sample (from the job's score file). A
generator that paints far more ink than the digits have leaves thin normal
digits with *larger* residuals than thicker anomalies, which inverts the score.

    python experiments/mnist_anogan_ink.py --seeds=0,1
"""

from absl import app, flags

from tfgan_ad.runs import restore_trained, set_threads

FLAGS = flags.FLAGS
flags.DEFINE_list("classes", [str(c) for c in range(10)], "normal classes")
flags.DEFINE_list("seeds", ["0", "1"], "seeds")
flags.DEFINE_integer("threads", 1, "TensorFlow threads (0 = default)")
flags.DEFINE_string("workdir", "experiments/work", "checkpoints and score files")
flags.DEFINE_string("out", "experiments/results/mnist_anogan_ink.json", "results file")


def main(_):
    set_threads(FLAGS.threads)
    import numpy as np
    import tensorflow as tf

    from tfgan_ad.data.mnist import load_mnist_files, one_vs_all_split, train_test_files
    from tfgan_ad.runs import one_vs_all
    from tfgan_ad.runs.results import ResultStore, machine, now

    def ink(images):
        return float((np.asarray(images).reshape(len(images), -1) > 0).mean())

    run = one_vs_all.OneVsAllRun()
    files = train_test_files(load_mnist_files())
    store = ResultStore(FLAGS.out)
    for seed in map(int, FLAGS.seeds):
        for c in map(int, FLAGS.classes):
            split = one_vs_all_split(*files, c, seed, n_test=run.n_test)
            det = restore_trained(one_vs_all.anogan_detector(run, split, FLAGS.workdir),
                                  split.x_train, "run experiments/mnist_adgan.py first")
            g = det.networks()["generator"]
            z = tf.random.stateless_normal((256, g.latent_dim), seed=[seed, 29])
            scores = np.load(one_vs_all.score_file(FLAGS.workdir, "anogan", c, seed))
            y_s = scores["y"][scores["sample"]]
            y = split.y_test
            rec = {"experiment": "anogan_ink", "normal_class": c, "seed": seed,
                   "gan_steps": det.trainer.global_step,
                   "ink_generated": ink(g(z, training=False)), "ink_train": ink(split.x_train),
                   "ink_test_normal": ink(split.x_test[y == 0]),
                   "ink_test_anomalous": ink(split.x_test[y == 1]),
                   "score_normal_mean": float(scores["score"][y_s == 0].mean()),
                   "score_anomalous_mean": float(scores["score"][y_s == 1].mean()),
                   "machine": machine(), "date": now()}
            store.add([rec])
            print({k: (round(v, 3) if isinstance(v, float) else v) for k, v in rec.items()
                   if k not in ("machine", "date", "experiment")}, flush=True)


if __name__ == "__main__":
    app.run(main)
