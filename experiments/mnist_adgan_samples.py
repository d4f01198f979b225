"""Samples of trained ADGAN generators (EMA weights) beside real training digits, as one PNG.

One row per (normal class, seed, WGAN-GP Adam step): ``--per_row`` samples G(z), z ~ N(0, I)
from a fixed seed, then ``--real`` training digits of that class. A look at what the search
starts from; the generators must be trained already (experiments/mnist_adgan.py
--stage=wgan).

    python experiments/mnist_adgan_samples.py --classes=5,8 --seeds=0 --wgan_lrs=1e-4,3e-4
"""

from absl import app, flags

from tfgan_ad.runs import restore_trained, set_threads

FLAGS = flags.FLAGS
flags.DEFINE_list("classes", ["5", "8"], "normal classes")
flags.DEFINE_list("seeds", ["0"], "seeds")
flags.DEFINE_list("wgan_lrs", None, "WGAN-GP Adam steps (default: OneVsAllRun's)")
flags.DEFINE_integer("wgan_steps", None, "generator steps (default: OneVsAllRun's)")
flags.DEFINE_integer("per_row", 12, "samples per row")
flags.DEFINE_integer("real", 4, "real training digits per row, after the samples")
flags.DEFINE_integer("threads", 0, "TensorFlow threads (0 = default)")
flags.DEFINE_string("workdir", "experiments/work", "checkpoints")
flags.DEFINE_string("out", "experiments/results/mnist_adgan_samples.png", "figure")


def main(_):
    set_threads(FLAGS.threads)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    import tensorflow as tf

    from tfgan_ad.data.mnist import load_mnist_files, one_vs_all_split, train_test_files
    from tfgan_ad.runs import one_vs_all

    base = one_vs_all.OneVsAllRun().replace_given(wgan_steps=FLAGS.wgan_steps)
    lrs = [float(v) for v in FLAGS.wgan_lrs] if FLAGS.wgan_lrs else [base.wgan_lr]
    files = train_test_files(load_mnist_files())
    rows, labels = [], []
    for c in map(int, FLAGS.classes):
        for seed in map(int, FLAGS.seeds):
            split = one_vs_all_split(*files, c, seed, n_test=base.n_test)
            for lr in lrs:
                run = base.replace_given(wgan_lr=lr)
                det = restore_trained(one_vs_all.adgan_detector(run, split, FLAGS.workdir),
                                      split.x_train, "train it with experiments/mnist_adgan.py "
                                      f"--stage=wgan --wgan_lr={lr:g}")
                z = tf.random.stateless_normal([FLAGS.per_row, det.model_config.latent_dim],
                                               seed=[seed, 29])
                with det.gan.ema.averaged():
                    fake = det.gan.generator(z).numpy()
                rows.append(np.concatenate([fake, split.x_train[:FLAGS.real]]))
                labels.append(f"class {c} seed {seed}\nAdam {lr:g}, "
                              f"{det.trainer.global_step} steps")
    cols = FLAGS.per_row + FLAGS.real
    fig, axes = plt.subplots(len(rows), cols, figsize=(cols * 0.8, len(rows) * 0.9),
                             squeeze=False)
    for r, (images, label) in enumerate(zip(rows, labels)):
        for k, ax in enumerate(axes[r]):
            ax.imshow(images[k][..., 0], cmap="gray", vmin=-1, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if k == FLAGS.per_row:
                ax.set_title("real", fontsize=7)
        axes[r][0].set_ylabel(label, fontsize=6, rotation=0, ha="right", va="center")
    fig.suptitle(f"EMA generator samples (first {FLAGS.per_row}) and real training digits",
                 fontsize=8)
    fig.tight_layout()
    fig.savefig(FLAGS.out, dpi=80)
    print(f"wrote {FLAGS.out}: {len(rows)} rows")


if __name__ == "__main__":
    app.run(main)
