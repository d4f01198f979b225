"""ADGAN §4.3 on MNIST: one-vs-all ROC-AUC of ADGAN, AnoGAN, BiGAN and the PCA baselines.

Each (normal class, seed) job runs every method on one split
(:mod:`tfgan_ad.runs.one_vs_all`) and appends its records to
``experiments/results/mnist_adgan.json``; finished methods are skipped and
every network resumes from its checkpoints, so a job interrupted at any point
continues where it stopped. ``--stage=wgan`` only trains the WGAN-GPs. ``--report`` writes
the Markdown table and the ROC plot from the JSON alone (its acceptance section says when
ADGAN's row is partial); a ``--stage=all`` run rewrites them only once its ADGAN variant has
scored every job the other methods have.

    python experiments/mnist_adgan.py --seeds=0 --threads=1 &
    python experiments/mnist_adgan.py --seeds=1 --threads=1 &
    python experiments/mnist_adgan.py --report

``--search_sample=320`` compares the methods on 320 test items per job instead of 160 (its own
results file, ``mnist_adgan_n320.json``; experiments/adgan_pilots.md says why).
"""

from absl import app, flags

from tfgan_ad.runs import set_threads
from tfgan_ad.runs.wgan_settings import define_wgan_flags

FLAGS = flags.FLAGS
flags.DEFINE_list("classes", [str(c) for c in range(10)], "normal classes to run")
flags.DEFINE_list("seeds", ["0", "1"], "seeds (split, data order, latent samples, init, search starts)")
flags.DEFINE_enum("stage", "all", ["all", "wgan", "adgan"],
                  "all methods, only train the WGAN-GPs, or only score ADGAN (what needs the "
                  "work dir: the generators and the score files it carries over)")
flags.DEFINE_integer("threads", 0, "TensorFlow threads (0 = default)")
flags.DEFINE_string("workdir", "experiments/work", "checkpoints and score files")
flags.DEFINE_string("out", None, "results file (default: experiments/results/mnist_adgan.json; "
                    "with another --search_sample, mnist_adgan_n<size>.json)")
flags.DEFINE_integer("search_sample", None, "test items the searches (and every method) are "
                     "compared on (default: OneVsAllRun's 160; a larger sample holds those 160, "
                     "and ADGAN's scores of them carry over)")
flags.DEFINE_bool("report", False, "only write the Markdown table and the ROC plot")
flags.DEFINE_integer("wgan_steps", None, "WGAN-GP generator steps (default: OneVsAllRun's)")
define_wgan_flags(flags)
flags.DEFINE_float("adgan_z_lr", None, "ADGAN search's z step (default: OneVsAllRun's)")
flags.DEFINE_float("adgan_beta_1", None, "ADGAN search's Adam β₁ (default: OneVsAllRun's)")


def main(_):
    set_threads(FLAGS.threads)
    from tfgan_ad.data.mnist import load_mnist_files, one_vs_all_split, train_test_files
    from tfgan_ad.runs import one_vs_all, one_vs_all_report
    from tfgan_ad.runs.results import ResultStore

    run = one_vs_all.OneVsAllRun().replace_given(wgan_steps=FLAGS.wgan_steps,
                                                 adgan_z_lr=FLAGS.adgan_z_lr,
                                                 adgan_beta_1=FLAGS.adgan_beta_1,
                                                 search_sample=FLAGS.search_sample,
                                                 **one_vs_all.wgan_settings_of(FLAGS))
    size = "" if run.search_sample == one_vs_all.BASE_SAMPLE else f"_n{run.search_sample}"
    out = FLAGS.out or f"experiments/results/mnist_adgan{size}.json"
    if not FLAGS.report:
        files = train_test_files(load_mnist_files())
        store = ResultStore(out)
        sizes = {r.get("n_sample") for r in store.records} - {run.search_sample}
        if sizes:  # its report would refuse the mix, after the whole run
            raise app.UsageError(f"{out} holds jobs on search samples of {sorted(sizes)} items, "
                                 f"not {run.search_sample}; give another --out")
        for seed in map(int, FLAGS.seeds):
            for c in map(int, FLAGS.classes):
                if FLAGS.stage == "wgan":
                    split = one_vs_all_split(*files, c, seed, n_test=run.n_test)
                    one_vs_all.train_wgan(run, split, FLAGS.workdir)
                    print(f"class {c} seed {seed}: WGAN-GP trained", flush=True)
                else:
                    one_vs_all.run_job(c, seed, run, store, FLAGS.workdir, files,
                                       adgan_only=FLAGS.stage == "adgan")
    store = ResultStore(out)
    if FLAGS.report:
        one_vs_all_report.write(store, out, run)
    elif FLAGS.stage == "all":  # --stage=wgan adds no records, --stage=adgan only ADGAN's
        missing = one_vs_all_report.missing_jobs(store.records, run)
        if missing:  # the committed report stays until the variant is complete
            print(f"the run's ADGAN variant lacks {len(missing)} jobs ({missing}): report not "
                  "rewritten; --report with the same flags writes it with a partial ADGAN row",
                  flush=True)
        else:
            one_vs_all_report.write(store, out, run)


if __name__ == "__main__":
    app.run(main)
