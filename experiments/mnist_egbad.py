"""EGBAD Figure 1 on MNIST: AUPRC per anomalous digit, BiGAN σ/FM and AnoGAN FM.

Each (digit, seed) job trains one conv BiGAN (Table 4) and one conv GAN
(Table 3) with the same :class:`tfgan_ad.runs.mnist.MNISTRun` settings and
appends its records to ``experiments/results/mnist_egbad.json``; finished jobs
are skipped, so several processes can share the list (``--jobs=0-9`` etc.).
``--report`` writes the Markdown table and the figures from what is there.

    python experiments/mnist_egbad.py --digits=0,1,2,3,4 --seeds=0,1 --threads=1 &
    python experiments/mnist_egbad.py --digits=5,6,7,8,9 --seeds=0,1 --threads=1 &
    python experiments/mnist_egbad.py --report
"""

from absl import app, flags

from tfgan_ad.runs import set_threads

FLAGS = flags.FLAGS
flags.DEFINE_list("digits", [str(d) for d in range(10)], "anomalous digits to run")
flags.DEFINE_list("seeds", ["0", "1"], "seeds (split, data order, latent samples, init)")
flags.DEFINE_integer("epochs", 3, "training epochs, the same for every model (paper: 100)")
flags.DEFINE_integer("threads", 0, "TensorFlow threads (0 = default)")
flags.DEFINE_string("workdir", "experiments/work", "checkpoints and score files")
flags.DEFINE_string("out", "experiments/results/mnist_egbad.json", "results file")
flags.DEFINE_bool("report", False, "only write the Markdown table and figures")


def main(_):
    set_threads(FLAGS.threads)
    from tfgan_ad.data.mnist import load_mnist
    from tfgan_ad.runs import mnist
    from tfgan_ad.runs.results import ResultStore

    store = ResultStore(FLAGS.out)
    run = mnist.MNISTRun(epochs=FLAGS.epochs)
    if not FLAGS.report:
        data = load_mnist()
        for seed in map(int, FLAGS.seeds):
            for digit in map(int, FLAGS.digits):
                mnist.run_job(digit, seed, run, store, FLAGS.workdir, data)
    from tfgan_ad.runs import mnist_report
    mnist_report.write(ResultStore(FLAGS.out), run, FLAGS.workdir, FLAGS.out)


if __name__ == "__main__":
    app.run(main)
