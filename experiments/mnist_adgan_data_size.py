"""How ADGAN and the PCA baselines depend on the number of training digits (holdout only).

The offline MNIST copy has ~1,000 training digits per class, the paper's full
training set ~6,000. This learning curve measures, on the *holdout* set of a
one-vs-all job (training-set digits only, never test items), what a smaller
training set costs each method: a seeded fraction of the class's training
digits trains a fresh WGAN-GP (the run's settings: length, width, search; β₁ 0.9 and
WGAN-GP Adam step 1e-4 unless ``--adgan_beta_1`` and ``--wgan_lr`` say otherwise, as the
study was run) and
the GMM and Isolation Forest baselines. All are scored on the balanced holdout
sample of ``mnist_adgan_validation.py`` (same seed, same images); the baselines
choose their PCA dimension on the *other* holdout items. ADGAN's own settings
were compared on that same sample, which favours ADGAN, most at fraction 1.
Fraction 1 is not retrained: ADGAN's
value there is the matching record of ``mnist_adgan_validation.json`` (the
run's checkpoint, same sample, same search); the baselines are fitted here.

    python experiments/mnist_adgan_data_size.py --classes=5,8 --fractions=0.5,0.25 --threads=1
    python experiments/mnist_adgan_data_size.py --report
"""

from absl import app, flags

from tfgan_ad.runs import set_threads

FLAGS = flags.FLAGS
flags.DEFINE_list("classes", ["5", "8"], "normal classes")
flags.DEFINE_list("seeds", ["0"], "seeds")
flags.DEFINE_list("fractions", ["0.5", "0.25"], "fractions (0, 1] of the class's training "
                  "digits; 1 fits only the baselines (ADGAN's value comes from the validation "
                  "study)")
flags.DEFINE_integer("n", 120, "holdout images scored (half normal), as the validation study")
flags.DEFINE_integer("threads", 0, "TensorFlow threads (0 = default)")
flags.DEFINE_string("workdir", "experiments/work/data_size", "checkpoints of the smaller runs")
flags.DEFINE_string("out", "experiments/results/mnist_adgan_data_size.json", "results file")
flags.DEFINE_string("validation", "experiments/results/mnist_adgan_validation.json",
                    "the holdout study whose records give ADGAN's value at fraction 1")
flags.DEFINE_bool("report", False, "only write the Markdown summary beside the results file")
flags.DEFINE_integer("wgan_steps", None, "WGAN-GP generator steps (default: OneVsAllRun's)")
flags.DEFINE_integer("wgan_width", None, "WGAN-GP channel multiplier (default: OneVsAllRun's)")
flags.DEFINE_float("adgan_z_lr", None, "ADGAN search's z step (default: OneVsAllRun's)")
flags.DEFINE_float("adgan_beta_1", 0.9, "ADGAN search's Adam β₁. The study's records used 0.9, "
                   "Keras's default, before OneVsAllRun's default became 0.5")
flags.DEFINE_float("wgan_lr", 1e-4, "WGAN-GP Adam step. The study's records used 1e-4, the "
                   "issue's; it stays pinned whatever OneVsAllRun's default")


def main(_):
    set_threads(FLAGS.threads)
    from pathlib import Path

    from tfgan_ad.data.mnist import load_mnist_files, train_test_files
    from tfgan_ad.runs import data_size, one_vs_all
    from tfgan_ad.runs.results import ResultStore

    run = one_vs_all.OneVsAllRun().replace_given(
        wgan_steps=FLAGS.wgan_steps, wgan_width=FLAGS.wgan_width, adgan_z_lr=FLAGS.adgan_z_lr,
        adgan_beta_1=FLAGS.adgan_beta_1, wgan_lr=FLAGS.wgan_lr)
    store = ResultStore(FLAGS.out)
    if not FLAGS.report:
        files = train_test_files(load_mnist_files())
        for seed in map(int, FLAGS.seeds):
            for c in map(int, FLAGS.classes):
                for f in map(float, FLAGS.fractions):
                    for rec in data_size.run_fraction(run, files, c, seed, f, FLAGS.n,
                                                      FLAGS.workdir, store):
                        print({k: rec[k] for k in ("normal_class", "seed", "fraction", "n_train",
                                                   "method", "roc_auc")}, flush=True)
    md = data_size.markdown(ResultStore(FLAGS.out).records,
                            ResultStore(FLAGS.validation).records, run)
    Path(FLAGS.out).with_suffix(".md").write_text(md)
    print(md)


if __name__ == "__main__":
    app.run(main)
