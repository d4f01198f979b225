"""ADGAN's search settings on the *holdout* set (training-set digits only, never test items).

For a trained WGAN-GP of experiments/mnist_adgan.py, scores a balanced sample
of the job's holdout set (held-out digits of the normal class and training
digits of the other classes) with each z and θ learning rate, search length k and
Adam β₁ given (β₁ by default the run's), and records the
ROC-AUC, that of the starts alone (no search) and the search speed in
``experiments/results/mnist_adgan_validation.json``. This is where a search
setting may be checked or chosen; the test split plays no part.

    python experiments/mnist_adgan_validation.py --classes=0 --seeds=0 --theta_lrs=1e-5,1e-4
    python experiments/mnist_adgan_validation.py --classes=2,8 --n=120 --z_lrs=0.025,0.1 --wgan_steps=1000
    python experiments/mnist_adgan_validation.py --classes=5,8 --n=120 --z_lrs=0.1 --search_steps=10,15 --beta_1s=0.9
    python experiments/mnist_adgan_validation.py --classes=0,1,2,3,4,5,6,7,8,9 --n=120 --z_lrs=0.1 --beta_1s=0.9,0.5
    python experiments/mnist_adgan_validation.py --classes=5,8 --n=120 --z_lrs=0.1 --bn_stats=moving,standing
    python experiments/mnist_adgan_validation.py --classes=5,8 --n=120 --z_lrs=0.1 --theta=per_seed,shared
    python experiments/mnist_adgan_validation.py --report

``--bn_stats=standing`` scores with the generator's BatchNorm statistics recomputed for its
EMA weights (:func:`tfgan_ad.networks.dcgan.standing_statistics`, 100 batches of 64 prior
draws, seeded by the job's seed) instead of the training run's moving averages; the
checkpoint is left as it was.

``--theta=shared`` scores with one θ per test point shared by its seeds
(``ADGANSearchConfig.share_theta``) instead of the paper's θ_j per seed.
"""

import itertools

from absl import app, flags

from tfgan_ad.runs import flag_choices, restore_trained, set_threads, share_theta_values
from tfgan_ad.runs.wgan_settings import define_wgan_flags

FLAGS = flags.FLAGS
flags.DEFINE_list("classes", ["0"], "normal classes")
flags.DEFINE_list("seeds", ["0"], "seeds")
flags.DEFINE_list("theta_lrs", ["1e-5"], "θ learning rates to score")
flags.DEFINE_list("z_lrs", ["0.025"], "z learning rates to score (each with every θ rate)")
flags.DEFINE_list("search_steps", ["5"], "search steps k to score (each with every rate)")
flags.DEFINE_list("beta_1s", None, "Adam β₁ of the search to score (each with every other; "
                  "default: OneVsAllRun's)")
flags.DEFINE_integer("wgan_steps", None, "generator steps of the WGAN-GP checkpoint to use "
                     "(default: OneVsAllRun's); it must be trained already")
define_wgan_flags(flags, of=" of the checkpoint to use")
flags.DEFINE_list("bn_stats", ["moving"], "generator BatchNorm statistics to score with: "
                  "'moving' (the training run's) and/or 'standing' (recomputed for the EMA "
                  "weights)")
flags.DEFINE_list("theta", ["per_seed"], "generator weights θ of the search to score: "
                  "per_seed (the paper's: each seed adapts its own θ_j) and/or shared (one θ per "
                  "test point, adapted by all its seeds)")
flags.DEFINE_integer("n", 80, "holdout images scored (half normal)")
flags.DEFINE_integer("threads", 0, "TensorFlow threads (0 = default)")
flags.DEFINE_string("workdir", "experiments/work", "checkpoints")
flags.DEFINE_string("out", "experiments/results/mnist_adgan_validation.json", "results file")
flags.DEFINE_bool("report", False, "only write the Markdown summary beside the results file")


def main(_):
    set_threads(FLAGS.threads)
    import dataclasses

    from tfgan_ad.data.mnist import load_mnist_files, one_vs_all_split, train_test_files
    from tfgan_ad.networks import dcgan
    from tfgan_ad.runs import one_vs_all, one_vs_all_report
    from tfgan_ad.runs.results import ResultStore, machine, now

    if FLAGS.report:
        from pathlib import Path
        md = one_vs_all_report.validation_markdown(ResultStore(FLAGS.out).records)
        Path(FLAGS.out).with_suffix(".md").write_text(md)
        print(md)
        return
    run = one_vs_all.OneVsAllRun().replace_given(wgan_steps=FLAGS.wgan_steps,
                                                 **one_vs_all.wgan_settings_of(FLAGS))
    try:
        bn_stats = flag_choices("--bn_stats", FLAGS.bn_stats, one_vs_all.BN_STATS)
        sharing = share_theta_values(FLAGS.theta)
    except ValueError as e:
        raise app.UsageError(str(e)) from None
    files = train_test_files(load_mnist_files())
    store = ResultStore(FLAGS.out)
    for seed in map(int, FLAGS.seeds):
        for c in map(int, FLAGS.classes):
            split = one_vs_all_split(*files, c, seed, n_test=run.n_test)
            idx = one_vs_all.holdout_sample(split, FLAGS.n)
            det = restore_trained(
                one_vs_all.adgan_detector(run, split, FLAGS.workdir), split.x_train,
                "train the WGAN-GP with experiments/mnist_adgan.py --stage=wgan (with the same "
                "--wgan_steps and --wgan_* flags)")
            for bn, share, z_lr, lr, k, b1 in itertools.product(
                    bn_stats, sharing, map(float, FLAGS.z_lrs), map(float, FLAGS.theta_lrs),
                    map(int, FLAGS.search_steps),
                    map(float, FLAGS.beta_1s or [run.adgan_beta_1])):
                det.search_config = dataclasses.replace(
                    det.search_config, learning_rate=z_lr, theta_learning_rate=lr, steps=k,
                    beta_1=b1, share_theta=share)
                gen, stats = det.gan.generator, {}  # no stats: the moving averages as they are
                if bn != one_vs_all.MOVING_STATS:
                    with det.gan.ema.averaged():
                        stats = dcgan.standing_statistics(gen, seed=seed)
                with dcgan.moving_statistics(gen, stats):
                    found = one_vs_all.holdout_search(det, split, idx)
                rec = {"experiment": "adgan_holdout", "normal_class": c, "seed": seed,
                       "theta_learning_rate": lr, "z_learning_rate": z_lr, "n_scored": len(idx),
                       **one_vs_all.wgan_settings_of(run), "bn_stats": bn, **found,
                       "machine": machine(), "date": now()}
                store.add([rec])
                print({"share_theta": rec["search"]["share_theta"],
                       **{k: rec[k] for k in ("normal_class", "seed", "generator_steps", "bn_stats",
                                           "z_learning_rate",
                                           "theta_learning_rate", "roc_auc_ink",
                                           "ink_correlation_anomalies",
                                           "roc_auc", "roc_auc_starts_only", "mean_loss_drop",
                                           "seconds")}}, flush=True)


if __name__ == "__main__":
    app.run(main)
